package storeevents

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/stream"
)

// env is a database and a broker with the store events topic.
type env struct {
	url string
	cfg Config
}

func newEnv(t *testing.T, ctx context.Context) env {
	t.Helper()
	e := env{url: pgtest.URL(t), cfg: Config{Brokers: []string{kafkatest.Broker(t)}, Topic: DefaultTopic}}
	if err := stream.EnsureTopic(ctx, e.cfg.Brokers, stream.Topic{Name: DefaultTopic, Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e env) tracker(t *testing.T, ctx context.Context) *Tracker {
	t.Helper()
	tr, err := Open(ctx, e.url, e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// records reads every record on the topic so far.
func (e env) records(t *testing.T, ctx context.Context) []*kgo.Record {
	t.Helper()
	return kafkatest.ReadAll(t, e.cfg.Brokers, e.cfg.Topic)
}

// readPayload reads a platform payload from core/commerce's testdata.
func readPayload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "core", "commerce", "testdata", "shopify", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
