package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

const (
	submitTopic = "tern.submit"
	eventsTopic = "tern.events"
)

// broker starts an in-process Kafka-protocol broker on a loopback port,
// spoken to over TCP like any Kafka.
func broker(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(16, submitTopic, eventsTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// producer writes records the way the pipeline does: keyed, acks=all.
type producer struct {
	t *testing.T
	w *kafka.Writer
}

func newProducer(t *testing.T, addr string) *producer {
	w := &kafka.Writer{
		Addr:         kafka.TCP(addr),
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond,
	}
	t.Cleanup(func() { w.Close() })
	return &producer{t: t, w: w}
}

func (p *producer) send(msgs ...kafka.Message) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.t.Context(), 30*time.Second)
	defer cancel()
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		p.t.Fatal(err)
	}
}

func (p *producer) value(m proto.Message) []byte {
	p.t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		p.t.Fatal(err)
	}
	return b
}

func (p *producer) submit(tenant, id, campaign string, segments int32, at time.Time) kafka.Message {
	to := "+1415555" + fmt.Sprintf("%04d", len(id))
	return kafka.Message{Topic: submitTopic, Key: []byte(to), Value: p.value(&recordv1.Submit{
		Id: id, TenantId: tenant, To: to, CampaignId: campaign, Segments: segments,
		Category: ternv1.Category_CATEGORY_MARKETING, Encoding: ternv1.Encoding_ENCODING_GSM7,
		AcceptedAt: timestamppb.New(at), Region: "US", Body: "hello",
	})}
}

func (p *producer) event(tenant, id, campaign string, st core.Status, at time.Time) kafka.Message {
	return kafka.Message{Topic: eventsTopic, Key: []byte(id), Value: p.value(&recordv1.Event{
		MessageId: id, TenantId: tenant, CampaignId: campaign, Status: ternv1.Status(st),
		Time: timestamppb.New(at), Carrier: "sim",
	})}
}

// runWriter runs w until the test ends or stop is called; stop returns
// Run's error.
func runWriter(t *testing.T, w *analytics.Writer) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var err error
	stopped := false
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func wantStats(s *analytics.Store, want analytics.CampaignStats) func() error {
	return func() error {
		got, err := s.CampaignStats(context.Background(), "t1", want.CampaignID)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("stats = %+v\nwant    %+v", got, want)
		}
		return nil
	}
}

func TestWriterEndToEnd(t *testing.T) {
	t.Parallel()
	addr := broker(t)
	s := chtest.Store(t)
	p := newProducer(t, addr)
	kc := analytics.KafkaConfig{Brokers: []string{addr}, SubmitTopic: submitTopic, EventsTopic: eventsTopic}

	const n = 300
	var submits, events []kafka.Message
	for i := range n {
		id := fmt.Sprintf("m%03d", i)
		at := t0.Add(time.Duration(i) * time.Millisecond)
		submits = append(submits, p.submit("t1", id, "c1", int32(1+i%3), at))
		switch i % 4 {
		case 0: // still queued
		case 1:
			events = append(events, p.event("t1", id, "c1", core.StatusSubmitted, at.Add(time.Second)))
		case 2:
			events = append(events, p.event("t1", id, "c1", core.StatusSubmitted, at.Add(time.Second)),
				p.event("t1", id, "c1", core.StatusDelivered, at.Add(3*time.Second)))
		case 3:
			events = append(events, p.event("t1", id, "c1", core.StatusFailed, at.Add(time.Second)))
		}
	}
	// Garbage on the events topic, keyed like m001 so it shares a partition
	// with that message's events, between them and the ones after.
	garbage := kafka.Message{Topic: eventsTopic, Key: []byte("m001"), Value: []byte("\xff\xffnot a record")}
	p.send(events[:len(events)/2]...)
	p.send(garbage)
	p.send(events[len(events)/2:]...)
	p.send(p.event("t1", "m001", "c1", core.StatusDelivered, t0.Add(time.Minute)))
	// Receipts land before their submits: the topics are read independently.
	p.send(submits...)

	w := analytics.NewWriter(s, kc, analytics.WithLogger(chtest.Logger(t)))
	stop := runWriter(t, w)
	want := analytics.CampaignStats{
		CampaignID: "c1",
		Accepted:   n,
		Queued:     n / 4,
		Submitted:  n/4 - 1,
		Delivered:  n/4 + 1, // and m001
		Failed:     n / 4,
		Segments:   n / 3 * (1 + 2 + 3),
	}
	testkit.Eventually(t, 30*time.Second, wantStats(s, want))
	if st := w.Stats(); st.Skipped != 1 {
		t.Fatalf("stats %+v: want 1 skipped record", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	first := w.Stats()
	if first.Records != int64(len(submits)+len(events)+2) {
		t.Fatalf("stats %+v: want %d records", first, len(submits)+len(events)+2)
	}

	// A writer of the same group starts after the committed offsets and
	// reads only what is new.
	p.send(p.event("t1", "m000", "c1", core.StatusExpired, t0.Add(time.Hour)))
	w2 := analytics.NewWriter(s, kc, analytics.WithLogger(chtest.Logger(t)))
	stop2 := runWriter(t, w2)
	want.Queued--
	want.Expired++
	testkit.Eventually(t, 30*time.Second, wantStats(s, want))
	if err := stop2(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := w2.Stats(); st.Records != 1 {
		t.Fatalf("second writer read %d records, want only the new one (offsets not committed?)", st.Records)
	}
}

// Records a writer has read but not yet inserted are inserted when its
// context ends, and their offsets committed.
func TestWriterFlushesOnShutdown(t *testing.T) {
	t.Parallel()
	addr := broker(t)
	cfg := chtest.Config(t)
	cfg.FlushInterval = time.Hour // only shutdown or a full batch flush
	s, err := analytics.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := newProducer(t, addr)
	p.send(p.submit("t1", "m1", "c1", 1, t0), p.submit("t1", "m2", "c1", 1, t0))

	kc := analytics.KafkaConfig{Brokers: []string{addr}, SubmitTopic: submitTopic, EventsTopic: eventsTopic, GroupID: "shutdown"}
	w := analytics.NewWriter(s, kc, analytics.WithLogger(chtest.Logger(t)))
	stop := runWriter(t, w)
	testkit.Eventually(t, 30*time.Second, func() error {
		if st := w.Stats(); st.Records != 2 {
			return fmt.Errorf("read %d records", st.Records)
		}
		return nil
	})
	if st := w.Stats(); st.Batches != 0 {
		t.Fatalf("inserted before shutdown: %+v", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := wantStats(s, analytics.CampaignStats{CampaignID: "c1", Accepted: 2, Queued: 2, Segments: 2})(); err != nil {
		t.Fatal(err)
	}
}

func TestWriterRejectsBadConfig(t *testing.T) {
	t.Parallel()
	s := chtest.Store(t)
	w := analytics.NewWriter(s, analytics.KafkaConfig{})
	if err := w.Run(t.Context()); !errors.Is(err, analytics.ErrInvalidConfig) {
		t.Fatalf("Run = %v, want ErrInvalidConfig", err)
	}
}

// An insert that fails is retried, reading pauses, and nothing is lost or
// committed early.
func TestWriterRetriesFailedInsert(t *testing.T) {
	t.Parallel()
	addr := broker(t)
	s := chtest.Store(t)
	p := newProducer(t, addr)
	kc := analytics.KafkaConfig{Brokers: []string{addr}, SubmitTopic: submitTopic, EventsTopic: eventsTopic}
	w := analytics.NewWriter(s, kc, analytics.WithLogger(chtest.Logger(t)))
	runWriter(t, w)

	found := func(id string) func() error {
		return func() error {
			_, err := s.Message(context.Background(), "t1", id)
			return err
		}
	}
	p.send(p.submit("t1", "m1", "c1", 1, t0))
	testkit.Eventually(t, 30*time.Second, found("m1"))

	// ClickHouse refuses the next insert: the table is gone.
	exec(t, s, "RENAME TABLE events TO events_away")
	p.send(p.submit("t1", "m2", "c1", 1, t0))
	testkit.Eventually(t, 30*time.Second, func() error {
		if st := w.Stats(); st.FailedInserts < 2 {
			return fmt.Errorf("stats %+v: want a failed insert and its retry", st)
		}
		return nil
	})
	if st := w.Stats(); st.Rows != 1 {
		t.Fatalf("stats %+v: an insert into a missing table succeeded", st)
	}
	exec(t, s, "RENAME TABLE events_away TO events")
	testkit.Eventually(t, 30*time.Second, func() error {
		if st := w.Stats(); st.Rows != 2 || st.Skipped != 0 {
			return fmt.Errorf("stats %+v: want 2 rows, none skipped", st)
		}
		return nil
	})
	if err := found("m2")(); err != nil {
		t.Fatal(err)
	}
}

// When ClickHouse stays unreachable past the shutdown deadline, Run says so
// and commits nothing: the next writer reads the records again.
func TestWriterShutdownDeadline(t *testing.T) {
	t.Parallel()
	addr := broker(t)
	s := chtest.Store(t)
	p := newProducer(t, addr)
	kc := analytics.KafkaConfig{Brokers: []string{addr}, SubmitTopic: submitTopic, EventsTopic: eventsTopic}

	exec(t, s, "RENAME TABLE events TO events_away")
	p.send(p.submit("t1", "m1", "c1", 1, t0))
	w := analytics.NewWriter(s, kc, analytics.WithLogger(chtest.Logger(t)),
		analytics.WithShutdownTimeout(300*time.Millisecond))
	stop := runWriter(t, w)
	testkit.Eventually(t, 30*time.Second, func() error {
		if st := w.Stats(); st.FailedInserts == 0 {
			return fmt.Errorf("stats %+v: no failed insert yet", st)
		}
		return nil
	})
	start := time.Now()
	err := stop()
	if err == nil {
		t.Fatal("Run = nil with its last batch uninserted")
	}
	t.Logf("Run = %v after %s", err, time.Since(start))

	exec(t, s, "RENAME TABLE events_away TO events")
	w2 := analytics.NewWriter(s, kc, analytics.WithLogger(chtest.Logger(t)))
	runWriter(t, w2)
	testkit.Eventually(t, 30*time.Second, func() error {
		_, err := s.Message(context.Background(), "t1", "m1")
		return err
	})
}

// TestWriterKeepsInsertsWithinBatchSize sends many records at once, so
// one poll brings more of them than a batch holds; every insert stays
// within the batch size and every record lands.
func TestWriterKeepsInsertsWithinBatchSize(t *testing.T) {
	t.Parallel()
	addr := broker(t)
	cfg := chtest.Config(t)
	cfg.BatchSize = 7
	cfg.FlushInterval = time.Hour // only a full batch (or shutdown) inserts
	s, err := analytics.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := newProducer(t, addr)
	const n = 100
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = p.submit("t1", fmt.Sprintf("b%03d", i), "cb", 1, t0)
	}
	p.send(msgs...)

	kc := analytics.KafkaConfig{Brokers: []string{addr}, SubmitTopic: submitTopic, EventsTopic: eventsTopic, GroupID: "batch-size"}
	w := analytics.NewWriter(s, kc, analytics.WithLogger(chtest.Logger(t)))
	stop := runWriter(t, w)
	testkit.Eventually(t, 30*time.Second, func() error {
		if st := w.Stats(); st.Rows != n-n%7 {
			return fmt.Errorf("inserted %d rows before shutdown, want %d", st.Rows, n-n%7)
		}
		return nil
	})
	if st := w.Stats(); st.Batches != n/7 {
		t.Fatalf("%d inserts for %d full batches of 7: %+v", st.Batches, n/7, st)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := w.Stats(); st.Rows != n || st.Batches != n/7+1 {
		t.Fatalf("after shutdown: %+v, want %d rows in %d inserts", st, n, n/7+1)
	}
	if err := wantStats(s, analytics.CampaignStats{CampaignID: "cb", Accepted: n, Queued: n, Segments: n})(); err != nil {
		t.Fatal(err)
	}
}

// A record that does not decode, and a row ClickHouse refuses alone again
// and again while it takes the others, go to the dead-letter topic with
// the reason and where they came from, and the records after them are
// inserted. ClickHouse refusing every row alike (its table gone) gives
// nothing up: the rows wait for it.
func TestWriterDeadLettersPoison(t *testing.T) {
	t.Parallel()
	addr := broker(t)
	s := chtest.Store(t)
	p := newProducer(t, addr)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	kcfg := pipeline.KafkaConfig{Brokers: []string{addr}, Partitions: 1}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, kcfg); err != nil {
		t.Fatal(err)
	}
	dlq, err := pipeline.NewDeadLetterWriter(kcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dlq.Close()
	kc := analytics.KafkaConfig{Brokers: []string{addr}, SubmitTopic: submitTopic, EventsTopic: eventsTopic}
	w := analytics.NewWriter(s, kc, analytics.WithLogger(chtest.Logger(t)), analytics.WithDeadLetters(dlq))
	runWriter(t, w)
	found := func(ids ...string) func() error {
		return func() error {
			for _, id := range ids {
				if _, err := s.Message(ctx, "t1", id); err != nil {
					return fmt.Errorf("%s: %w", id, err)
				}
			}
			return nil
		}
	}

	// An outage: every row refused alike. Nothing is given up.
	exec(t, s, "RENAME TABLE events TO events_away")
	p.send(p.submit("t1", "m0", "c1", 1, t0))
	testkit.Eventually(t, 30*time.Second, func() error {
		if st := w.Stats(); st.FailedInserts < 3 {
			return fmt.Errorf("stats %+v: want failed inserts", st)
		}
		return nil
	})
	exec(t, s, "RENAME TABLE events_away TO events")
	testkit.Eventually(t, 30*time.Second, found("m0"))
	if st := w.Stats(); st.DeadLettered != 0 {
		t.Fatalf("stats %+v: an outage dead-lettered records", st)
	}

	// ClickHouse refuses one row for good (here a view that throws on it).
	exec(t, s, "CREATE MATERIALIZED VIEW refuse_poison ENGINE = Memory AS SELECT throwIf(message_id = 'poison') AS refused FROM events")
	p.send(p.submit("t1", "poison", "c1", 1, t0),
		kafka.Message{Topic: submitTopic, Key: []byte("k"), Value: []byte("\xff\xffnot a record")})
	p.send(p.submit("t1", "m1", "c1", 1, t0), p.submit("t1", "m2", "c1", 1, t0))
	testkit.Eventually(t, time.Minute, found("m1", "m2"))
	testkit.Eventually(t, time.Minute, func() error {
		if st := w.Stats(); st.DeadLettered != 2 {
			return fmt.Errorf("stats %+v: want 2 records dead-lettered", st)
		}
		return nil
	})
	// The writer has moved on: what comes next is inserted.
	p.send(p.submit("t1", "m3", "c1", 1, t0))
	testkit.Eventually(t, time.Minute, found("m3"))
	dls, err := pipeline.ListDeadLetters(ctx, kcfg)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, dl := range dls {
		if dl.SourceTopic != submitTopic || dl.SourceOffset < 0 || dl.Reason == "" {
			t.Errorf("dead letter %+v: want its source and reason", dl)
		}
		reasons[dl.MessageID] = dl.Reason
	}
	if len(dls) != 2 || !strings.Contains(reasons["poison"], "clickhouse refused") || !strings.Contains(reasons[""], "undecodable") {
		t.Fatalf("dead letters %+v, want the refused row and the undecodable record", dls)
	}
}
