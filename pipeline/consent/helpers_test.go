package consent

import (
	"context"
	"testing"

	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
)

// testSecret is the hasher secret of every test instance.
var testSecret = []byte("consent-test-secret")

// env is a database and a broker with the suppressions topic.
type env struct {
	url   string
	topic TopicConfig
}

func newEnv(t *testing.T, ctx context.Context) env {
	t.Helper()
	e := env{url: pgtest.URL(t), topic: TopicConfig{Brokers: []string{kafkatest.Broker(t)}, Topic: "tern.suppressions"}}
	if err := EnsureTopic(ctx, e.topic, 4, 1); err != nil {
		t.Fatal(err)
	}
	return e
}

// instance is one tern instance's ledger and running set.
type instance struct {
	ledger *Ledger
	set    *Set
}

// start opens a ledger and its set, both running until the test ends.
func (e env) start(t *testing.T, ctx context.Context) instance {
	t.Helper()
	l, err := Open(ctx, e.url, NewHasher(testSecret), e.topic)
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.NewSet(ctx)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { s.Run(rctx); done <- struct{}{} }()
	go func() { l.Run(rctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done; l.Close() })
	return instance{ledger: l, set: s}
}
