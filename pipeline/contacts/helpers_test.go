package contacts

import (
	"context"
	"testing"

	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
)

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
