package pipeline

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/msgid"
)

// column returns the one text column query selects, in its order.
func column(t *testing.T, ctx context.Context, s *Store, query string) []string {
	t.Helper()
	rows, err := s.pool.Query(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPruneLedger(t *testing.T) {
	t.Parallel()
	l, s := runLedger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	is := testIssuer(t)
	now := time.Now()
	cutoff := now.Add(-7 * 24 * time.Hour)
	long := now.Add(-10 * 24 * time.Hour)
	var (
		old       = is.New("shop", long)                // sent and answered ten days ago
		oldDoubt  = is.New("shop", long)                // its submit in doubt since then
		scheduled = is.New("shop", long)                // accepted ten days ago for a send_at an hour ago
		recent    = is.New("shop", now.Add(-time.Hour)) // sent an hour ago
	)
	steps := []struct {
		ref Ref
		ans *answer
	}{
		{testRef(old), &answer{messageID: old, state: stateAccepted, carrier: "sim", ids: []string{"o1", "o2"}}},
		{testRef(oldDoubt), nil},
		{testRef(scheduled), &answer{messageID: scheduled, state: stateAccepted, carrier: "sim", ids: []string{"s1"}}},
		// The carrier reuses o2 for the recent message: that mapping stays.
		{testRef(recent), &answer{messageID: recent, state: stateAccepted, carrier: "sim", ids: []string{"r1", "o2"}}},
	}
	for _, st := range steps {
		if _, err := l.Begin(ctx, st.ref, newIntentToken()); err != nil {
			t.Fatal(err)
		}
		if st.ans != nil {
			if err := l.Answer(ctx, *st.ans, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.pool.Exec(ctx, "UPDATE deliveries SET intent_at = $1 WHERE message_id = ANY($2)", long, []string{old, oldDoubt}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		id       string
		received time.Time
	}{{"gone-1", long}, {"late-1", now}} {
		if _, err := s.pool.Exec(ctx, `INSERT INTO unknown_receipts (carrier, carrier_message_id, status, state, error_code, received_at)
			VALUES ('sim', $1, 3, 'DELIVRD', '', $2)`, r.id, r.received); err != nil {
			t.Fatal(err)
		}
	}

	// One row a batch, so the batches repeat until nothing is left.
	got, err := s.prune(ctx, cutoff, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Pruned{Deliveries: 2, CarrierIDs: 1, Receipts: 1}); got != want {
		t.Errorf("pruned %+v, want %+v", got, want)
	}
	deliveries := column(t, ctx, s, "SELECT message_id FROM deliveries ORDER BY 1")
	carrierIDs := column(t, ctx, s, "SELECT carrier_message_id || '>' || message_id FROM carrier_message_ids ORDER BY 1")
	receipts := column(t, ctx, s, "SELECT carrier_message_id FROM unknown_receipts ORDER BY 1")
	if want := []string{scheduled, recent}; !slices.Equal(deliveries, want) {
		t.Errorf("deliveries left %v, want %v", deliveries, want)
	}
	if want := []string{"o2>" + recent, "r1>" + recent, "s1>" + scheduled}; !slices.Equal(carrierIDs, want) {
		t.Errorf("carrier ids left %v, want %v", carrierIDs, want)
	}
	if want := []string{"late-1"}; !slices.Equal(receipts, want) {
		t.Errorf("kept receipts left %v, want %v", receipts, want)
	}

	// A receipt for a pruned message no longer joins; the others still do.
	out, err := s.applyReceipts(ctx, []carriers.Receipt{
		{Carrier: "sim", ID: "o1", State: "DELIVRD", Status: core.StatusDelivered},
		{Carrier: "sim", ID: "s1", State: "DELIVRD", Status: core.StatusDelivered},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Known || !out[1].Known || out[1].Ref.MessageID != scheduled {
		t.Errorf("receipts after pruning: %+v", out)
	}

	if again, err := s.PruneLedger(ctx, cutoff); err != nil || again != (Pruned{}) {
		t.Errorf("second prune = %+v, %v; want nothing", again, err)
	}
}

// Instances sharing a database take turns: while one prunes, another's
// pass deletes nothing and does not wait.
func TestPruneLedgerOneInstanceAtATime(t *testing.T) {
	t.Parallel()
	l, s := runLedger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	is := testIssuer(t)
	long := time.Now().Add(-10 * 24 * time.Hour)
	id := is.New("shop", long)
	if _, err := l.Begin(ctx, testRef(id), newIntentToken()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "UPDATE deliveries SET intent_at = $1", long); err != nil {
		t.Fatal(err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", pruneLockID); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Now().Add(-7 * 24 * time.Hour)
	if got, err := s.PruneLedger(ctx, cutoff); err != nil || got != (Pruned{}) {
		t.Errorf("prune while another instance prunes = %+v, %v; want nothing", got, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PruneLedger(ctx, cutoff); err != nil || got != (Pruned{Deliveries: 1}) {
		t.Errorf("prune after it finished = %+v, %v; want one delivery", got, err)
	}
}

// BenchmarkPruneLedger deletes rows of accepted one-part messages (with
// their carrier ids) older than the cutoff, b.N times 100,000 of them.
//
//	bin/tern devenv -- go test -run '^$' -bench PruneLedger -benchtime 5x ./pipeline
func BenchmarkPruneLedger(b *testing.B) {
	s := testStore(b)
	ctx := context.Background()
	const rows = 100_000
	long := time.Now().Add(-10 * 24 * time.Hour)
	cutoff := time.Now().Add(-7 * 24 * time.Hour)
	fill := func(i int) {
		prefix := msgid.Floor(long.Add(time.Duration(i) * time.Millisecond))
		if _, err := s.pool.Exec(ctx, `
			INSERT INTO deliveries (message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, state, carrier_ids, intent_at)
			SELECT $1 || lpad(g::text, 8, '0'), 'shop', 'c', '+14155552671', 'US', 1, 0, 'sim', 2, ARRAY[$1 || '-' || g], $3
			FROM generate_series(1, $2) g`, prefix, rows, long); err != nil {
			b.Fatal(err)
		}
		if _, err := s.pool.Exec(ctx, `
			INSERT INTO carrier_message_ids (carrier, carrier_message_id, message_id, part)
			SELECT 'sim', $1 || '-' || g, $1 || lpad(g::text, 8, '0'), 0 FROM generate_series(1, $2) g`, prefix, rows); err != nil {
			b.Fatal(err)
		}
		if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE deliveries, carrier_message_ids"); err != nil {
			b.Fatal(err)
		}
	}
	var pruned int64
	i := 0
	for b.Loop() {
		b.StopTimer()
		fill(i)
		i++
		b.StartTimer()
		n, err := s.PruneLedger(ctx, cutoff)
		if err != nil {
			b.Fatal(err)
		}
		if n.Deliveries != rows || n.CarrierIDs != rows {
			b.Fatalf("pruned %+v, want %d deliveries and carrier ids", n, rows)
		}
		pruned += n.Deliveries
	}
	b.ReportMetric(float64(pruned)/b.Elapsed().Seconds(), "deliveries/s")
}
