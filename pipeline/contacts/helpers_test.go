package contacts

import (
	"context"
	"testing"
	"time"

	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
)

// eventually polls cond until it returns nil or timeout passes.
func eventually(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %v", timeout, err)
		}
		<-tick.C
	}
}

// env is a fresh database with the consent ledger and the contact book.
type env struct {
	url    string
	ledger *consentlog.Ledger
	store  *Store
}

func newEnv(t *testing.T, ctx context.Context) env {
	t.Helper()
	e := env{url: pgtest.URL(t)}
	topic := consentlog.TopicConfig{Brokers: []string{kafkatest.Broker(t)}, Topic: "tern.suppressions"}
	if err := consentlog.EnsureTopic(ctx, topic, 2, 1); err != nil {
		t.Fatal(err)
	}
	h := consentlog.NewHasher([]byte("contacts-test"))
	var err error
	if e.ledger, err = consentlog.Open(ctx, e.url, h, topic); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.ledger.Close)
	if e.store, err = Open(ctx, e.url, h, WithConsent(e.ledger)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.store.Close)
	return e
}
