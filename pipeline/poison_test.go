package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// TestNULRecordsDoNotPoisonTheLedger: submit records whose campaign holds
// a NUL, which PostgreSQL text refuses, put straight on the submit topic
// as another producer could, among a store's ordinary messages. Each bad
// record goes to the dead-letter topic with its reason and ends FAILED;
// every other message reaches the carrier once and ends final.
func TestNULRecordsDoNotPoisonTheLedger(t *testing.T) {
	t.Parallel()
	p := startPipeline(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 6, ReceiptDelay: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	const bad, good = 20, 200
	var badMsgs []kafka.Message
	var ids []string
	for i := range bad {
		rec := &recordv1.Submit{Id: fmt.Sprintf("01NULNULNULNULNULNULNUL%010d", i), TenantId: "mallory",
			To: fmt.Sprintf("+1415555%04d", 7000+i), Body: "hello", CampaignId: "\x00"}
		v, err := proto.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		badMsgs = append(badMsgs, kafka.Message{Key: []byte(rec.To), Value: v})
		ids = append(ids, rec.Id)
	}
	w := &kafka.Writer{Addr: kafka.TCP(p.cfg.Brokers...), Topic: p.cfg.Topics.Submit, RequiredAcks: kafka.RequireAll, Balancer: &kafka.Murmur2Balancer{}}
	defer w.Close()
	reqs := make([]Request, good)
	for i := range reqs {
		reqs[i] = Request{TenantID: "shop", To: fmt.Sprintf("+1415555%04d", 1000+i), Body: fmt.Sprintf("Your order #%d has shipped", i), CampaignID: "spring"}
	}
	out := make([]Result, good)
	const rounds = 4 // bad records between the store's sends
	for k := range rounds {
		if err := w.WriteMessages(ctx, badMsgs[k*bad/rounds:(k+1)*bad/rounds]...); err != nil {
			t.Fatal(err)
		}
		if err := p.intake.Send(ctx, reqs[k*good/rounds:(k+1)*good/rounds], out[k*good/rounds:(k+1)*good/rounds]); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range out {
		if r.Err != nil {
			t.Fatalf("send %d: %v", i, r.Err)
		}
		ids = append(ids, r.ID)
	}

	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool { return allFinalEvents(m, ids) })
	for _, id := range ids[:bad] {
		f := finalOf(evs[id])
		if core.Status(f.Status) != core.StatusFailed || f.Reason != "dead-lettered: submit record campaign_id holds a NUL" {
			t.Fatalf("bad record %s final %v", id, f)
		}
	}
	for i, r := range reqs {
		if n := p.sim.Submits(r.To, r.Body); n != 1 {
			t.Fatalf("message %d reached the carrier %d times", i, n)
		}
	}
	dls, err := ListDeadLetters(ctx, p.cfg)
	if err != nil || len(dls) != bad {
		t.Fatalf("%d dead letters, %v; want %d", len(dls), err, bad)
	}
}
