package main

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// visibilityResult is the receipt-to-report latency of the probes.
type visibilityResult struct {
	rate, probes       int
	p50, p95, p99, max time.Duration
	keptUp             bool
}

const (
	submitTopic = "tern.submit"
	eventsTopic = "tern.events"
)

// probeVisibility runs the writer on an in-process broker at rate messages
// a second for d, and meanwhile measures, one probe at a time, how long a
// DELIVERED event takes from its produce's ack to CampaignReport counting
// it.
func probeVisibility(ctx context.Context, addr, db string, rate int, d time.Duration, logf func(string, ...any)) (*visibilityResult, error) {
	if err := dropDatabase(ctx, addr, db); err != nil {
		return nil, err
	}
	s, err := analytics.Open(ctx, analytics.Config{Addr: addr, Database: db, TenantReads: 16, TenantReadRate: 10_000})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(4, submitTopic, eventsTopic))
	if err != nil {
		return nil, err
	}
	defer broker.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker.ListenAddrs()...), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	w := analytics.NewWriter(s, analytics.KafkaConfig{Brokers: broker.ListenAddrs(), SubmitTopic: submitTopic, EventsTopic: eventsTopic})
	wctx, stopWriter := context.WithCancel(ctx)
	defer stopWriter()
	go w.Run(wctx)

	lctx, stopLoad := context.WithTimeout(ctx, d)
	defer stopLoad()
	var produced atomic.Int64
	loadDone := make(chan error, 1)
	go func() { loadDone <- produceLoad(lctx, cl, rate, &produced) }()
	var lat []time.Duration
	for i := 1; lctx.Err() == nil; i++ {
		l, err := probe(ctx, s, cl, i) // the last one ends after the load
		if err != nil {
			return nil, err
		}
		lat = append(lat, l)
	}
	if err := <-loadDone; err != nil {
		return nil, err
	}
	if len(lat) == 0 {
		return nil, fmt.Errorf("no probe finished in %s", d)
	}
	slices.Sort(lat)
	q := func(p int) time.Duration { return lat[(len(lat)*p-1)/100] }
	read := w.Stats().Records
	r := &visibilityResult{rate: rate, probes: len(lat), p50: q(50), p95: q(95), p99: q(99), max: lat[len(lat)-1],
		keptUp: read >= 3*produced.Load()-int64(3*rate)}
	logf("visibility: %d probes, p50 %s p99 %s; writer read %d of %d records", len(lat), r.p50, r.p99, read, 3*produced.Load())
	return r, nil
}

// produceLoad produces rate messages a second, each a Submit, a
// SUBMITTED and a DELIVERED event, until ctx ends.
func produceLoad(ctx context.Context, cl *kgo.Client, rate int, produced *atomic.Int64) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	per, n := max(rate/100, 1), 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		var recs []*kgo.Record
		now := time.Now()
		for range per {
			n++
			recs = append(recs, records(fmt.Sprintf("load-%09d", n), "load", now, true)...)
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil && ctx.Err() == nil {
			return err
		}
		produced.Add(int64(per))
	}
}

// probe sends probe message i's Submit and SUBMITTED event, waits until
// its acceptance shows, then sends its DELIVERED event and returns how
// long from that produce's ack until the report counts i deliveries.
func probe(ctx context.Context, s *analytics.Store, cl *kgo.Client, i int) (time.Duration, error) {
	id := fmt.Sprintf("probe-%06d", i)
	recs := records(id, "probe", time.Now(), false)
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return 0, err
	}
	if _, err := waitFor(ctx, s, func(r analytics.CampaignReport) bool { return r.Funnel.Submitted >= int64(i) }); err != nil {
		return 0, err
	}
	delivered := event(id, "probe", core.StatusDelivered, time.Now())
	if err := cl.ProduceSync(ctx, delivered).FirstErr(); err != nil {
		return 0, err
	}
	return waitFor(ctx, s, func(r analytics.CampaignReport) bool { return r.Funnel.Delivered >= int64(i) })
}

// waitFor polls the probe campaign's report until ok, and returns how
// long that took.
func waitFor(ctx context.Context, s *analytics.Store, ok func(analytics.CampaignReport) bool) (time.Duration, error) {
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := s.CampaignReport(ctx, "bench", "probe")
		if err != nil {
			return 0, err
		}
		if ok(r) {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
	}
}

// records are message id's Submit and SUBMITTED event, and with final
// its DELIVERED event.
func records(id, campaign string, at time.Time, final bool) []*kgo.Record {
	to := "+4915112" + id[len(id)-6:]
	sub, _ := proto.Marshal(&recordv1.Submit{Id: id, TenantId: "bench", To: to, From: "SHOP", CampaignId: campaign, Segments: 1,
		Category: ternv1.Category_CATEGORY_MARKETING, AcceptedAt: timestamppb.New(at), Region: "DE", PriceMicros: 10_000, Currency: "USD"})
	out := []*kgo.Record{{Topic: submitTopic, Key: []byte(to), Value: sub}, event(id, campaign, core.StatusSubmitted, at.Add(time.Millisecond))}
	if final {
		out = append(out, event(id, campaign, core.StatusDelivered, at.Add(2*time.Millisecond)))
	}
	return out
}

func event(id, campaign string, st core.Status, at time.Time) *kgo.Record {
	v, _ := proto.Marshal(&recordv1.Event{MessageId: id, TenantId: "bench", CampaignId: campaign, Status: ternv1.Status(st),
		Time: timestamppb.New(at), To: "+4915112" + id[len(id)-6:], Region: "DE", Segments: 1, Carrier: "carrier-a"})
	return &kgo.Record{Topic: eventsTopic, Key: []byte(id), Value: v}
}
