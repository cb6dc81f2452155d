package consent

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
)

// TestRecordBatch: a batch commits with the caller's transaction, applies
// each number's events in order, is published to every instance, and a
// repeated batch records nothing.
func TestRecordBatch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	a, b := e.start(t, ctx), e.start(t, ctx)
	pool, err := pgxpool.New(ctx, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var events []Event
	for i := range 50 {
		events = append(events, Event{Tenant: "shop-1", Number: fmt.Sprintf("+1415555%04d", i), Kind: consent.OptIn, Scope: consent.ScopeMarketing,
			Method: MethodImport, Source: "loyalty.csv", Dedupe: fmt.Sprintf("import:x:%d", i)})
	}
	// The last number opts in, then out, in the same batch.
	events = append(events, Event{Tenant: "shop-1", Number: "+14155550049", Kind: consent.OptOut, Scope: consent.ScopeMarketing,
		Method: MethodImport, Dedupe: "import:x:50"})
	record := func(commit bool) *Batch {
		t.Helper()
		var out *Batch
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			if out, err = a.ledger.RecordBatch(ctx, tx, events); err != nil {
				return err
			}
			if !commit {
				return errors.New("roll back")
			}
			return nil
		})
		if commit && err != nil {
			t.Fatal(err)
		}
		return out
	}
	record(false)
	if st, err := a.ledger.State(ctx, "shop-1", "+14155550000"); err != nil || st.Marketing {
		t.Fatalf("rolled back batch left state %+v, %v", st, err)
	}
	batch := record(true)
	if batch.Recorded != len(events) {
		t.Fatalf("recorded %d of %d", batch.Recorded, len(events))
	}
	batch.Publish(ctx)
	testkit.Eventually(t, 10*time.Second, func() error {
		if err := b.set.Check("shop-1", "+14155550000", core.CategoryMarketing, ""); err != nil {
			return fmt.Errorf("other instance: %w", err)
		}
		if err := b.set.Check("shop-1", "+14155550049", core.CategoryMarketing, ""); !errors.Is(err, consent.ErrOptedOut) {
			return fmt.Errorf("last number on the other instance: %v", err)
		}
		return nil
	})
	if again := record(true); again.Recorded != 0 {
		t.Fatalf("repeated batch recorded %d", again.Recorded)
	}
	evs, err := a.ledger.Events(ctx, "shop-1", "+14155550049")
	if err != nil || len(evs) != 2 || evs[0].Method != MethodImport || evs[1].Kind != consent.OptOut {
		t.Fatalf("events of the last number %+v, %v", evs, err)
	}
	// A later batch over numbers with a state: the rows are updated.
	events = []Event{{Tenant: "shop-1", Number: "+14155550001", Kind: consent.OptOut, Scope: consent.ScopeAll, Method: MethodImport, Dedupe: "import:y:1"},
		{Tenant: "shop-1", Number: "+14155550049", Kind: consent.OptIn, Scope: consent.ScopeAll, Method: MethodImport, Dedupe: "import:y:2"}}
	record(true).Publish(ctx)
	for n, want := range map[string]error{"+14155550001": consent.ErrOptedOut, "+14155550049": nil} {
		st, err := a.ledger.State(ctx, "shop-1", n)
		if got := consent.Decide(core.CategoryMarketing, st); err != nil || !errors.Is(got, want) || (want == nil) != (got == nil) {
			t.Fatalf("%s after the second batch: %+v (%v), %v", n, st, got, err)
		}
	}
	bad := []Event{{Tenant: "shop-1", Number: "+14155550000", Kind: consent.OptIn, Scope: consent.ScopeMarketing, Method: MethodImport}}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { _, err := a.ledger.RecordBatch(ctx, tx, bad); return err })
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "idempotency_key" {
		t.Fatalf("batch without dedupe keys: %v", err)
	}
}
