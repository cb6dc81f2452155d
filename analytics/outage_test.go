package analytics_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/kafka-go"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core/testkit"
)

// outage is how long ClickHouse is down under load.
const outage = 60 * time.Second

// TestExactAfterClickHouseOutage: ClickHouse stopped for a minute while
// records keep coming, then started again: nothing is lost, nothing
// counts twice. The writer retries its batch meanwhile and commits
// nothing; afterwards the campaign report equals the counts of what was
// sent, and the facts table holds each stage of each message once.
func TestExactAfterClickHouseOutage(t *testing.T) {
	t.Parallel()
	srv := chtest.StartServer(t)
	ctx := context.Background()
	store, err := analytics.Open(ctx, analytics.Config{Addr: srv.Addr(), FlushInterval: 50 * time.Millisecond},
		analytics.WithLogger(chtest.Logger(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := newMixEnv(t, store)
	msgs := newMix(6000, "c1", t0)
	submits, events := mixRecords(e.p, "c1", msgs)
	w := e.writer(t)
	runWriter(t, w)

	// The load: a slice of the records every second for 100 s, through
	// the outage.
	const slices = 100
	loaded := make(chan error, 1)
	go func() { loaded <- produceSlices(e.addr, submits, events, slices) }()
	testkit.Eventually(t, time.Minute, func() error {
		if n := countOn(t, srv, "SELECT count() FROM facts"); n == 0 {
			return fmt.Errorf("no facts yet")
		}
		return nil
	})
	srv.Stop()
	down := time.NewTimer(outage)
	select {
	case <-down.C:
	case err := <-loaded:
		t.Fatalf("the load ended before the outage did: %v", err)
	}
	if st := w.Stats(); st.FailedInserts == 0 {
		t.Fatalf("writer stats %+v: no insert failed while ClickHouse was down", st)
	}
	srv.Start()
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}

	want := expect(msgs, func(stageOf) string { return "" })[""]
	testkit.Eventually(t, 5*time.Minute, func() error {
		r, err := store.CampaignReport(ctx, "t1", "c1")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(r.Totals, want) {
			return fmt.Errorf("totals %+v\nwant   %+v", r.Totals, want)
		}
		return nil
	})
	// Message 5 ended UNKNOWN, then DELIVERED: its UNKNOWN fact and the
	// copy cancelling it are the two beyond three a message.
	if n := countOn(t, srv, "SELECT count() FROM facts"); n != uint64(3*len(msgs)+2) {
		t.Fatalf("%d facts, want %d: a stage recorded twice or lost", n, 3*len(msgs)+2)
	}
	stats, err := store.CampaignStats(ctx, "t1", "c1")
	if err != nil || stats.Accepted != int64(len(msgs)) || stats.Delivered != want.Funnel.Delivered {
		t.Fatalf("CampaignStats = %+v, %v", stats, err)
	}
	t.Logf("writer stats after the outage: %+v", w.Stats())
}

// countOn runs a count in the private server's tern database.
func countOn(t *testing.T, srv *chtest.Server, query string) uint64 {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}, Auth: clickhouse.Auth{Database: "tern"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// produceSlices writes submits and events in n slices a second apart,
// acks=all, as the pipeline writes them.
func produceSlices(addr string, submits, events []kafka.Message, n int) error {
	w := &kafka.Writer{Addr: kafka.TCP(addr), Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := range n {
		for _, recs := range [][]kafka.Message{part(submits, i, n), part(events, i, n)} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := w.WriteMessages(ctx, recs...)
			cancel()
			if err != nil {
				return fmt.Errorf("slice %d: %w", i, err)
			}
		}
		<-tick.C
	}
	return nil
}

// part is the i-th of n slices of recs.
func part(recs []kafka.Message, i, n int) []kafka.Message {
	return recs[i*len(recs)/n : (i+1)*len(recs)/n]
}
