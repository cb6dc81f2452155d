package attribution

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/pipeline/pgtest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// A link click, as the link service records it (no number), is the
// touch of the customer its message went to: it beats a later message;
// a click of a message never seen sent is dropped; a flow's click is
// the flow's.
func TestLinkClicks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := Open(ctx, pgtest.URL(t), Config{Brokers: []string{"127.0.0.1:1"}, Clicks: "tern.clicks", DecodeClick: DecodeLinkClick})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	now := time.Now()
	send := func(to, id, campaign string, ago time.Duration) *kgo.Record {
		v, _ := proto.Marshal(&recordv1.Event{MessageId: id, TenantId: "shop", CampaignId: campaign, To: to,
			Status: ternv1.Status_STATUS_SUBMITTED, Category: ternv1.Category_CATEGORY_MARKETING, Time: timestamppb.New(now.Add(-ago))})
		return &kgo.Record{Topic: "tern.events", Value: v}
	}
	click := func(id, campaign string, ago time.Duration) *kgo.Record {
		v, _ := proto.Marshal(&recordv1.Click{TenantId: "shop", MessageId: id, CampaignId: campaign, Code: "c-" + id,
			ClickedAt: timestamppb.New(now.Add(-ago))})
		return &kgo.Record{Topic: "tern.clicks", Value: v}
	}
	if err := a.handle(ctx, []*kgo.Record{send("+14155550001", "m1", "spring", 3*time.Hour), send("+14155550002", "m3", "flow/abandoned_checkout", 3*time.Hour)}); err != nil {
		t.Fatal(err)
	}
	recs := []*kgo.Record{click("m1", "spring", 2*time.Hour), send("+14155550001", "m2", "newsletter", time.Hour),
		click("m-unknown", "summer", time.Hour), click("m3", "flow/abandoned_checkout", time.Hour), {Topic: "tern.clicks", Value: []byte("junk")}}
	if err := a.handle(ctx, recs); err != nil {
		t.Fatal(err)
	}
	rows, err := a.pool.Query(ctx, `SELECT phone, message_id, campaign_id, flow_id FROM attribution_touches WHERE kind = 'click' ORDER BY message_id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var phone, msg, camp, flow string
		if err := rows.Scan(&phone, &msg, &camp, &flow); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s campaign=%s flow=%s", phone, msg, camp, flow))
	}
	want := fmt.Sprint([]string{"+14155550001 m1 campaign=spring flow=", "+14155550002 m3 campaign= flow=abandoned_checkout"})
	if fmt.Sprint(got) != want {
		t.Errorf("click touches %q, want %s", got, want)
	}
	if err := a.addOrders(ctx, []order{{tenant: "shop", id: "o1", phone: "+14155550001", currency: "USD", amount: 1, at: now}}); err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return now.Add(time.Hour) }
	if _, err := a.AttributeDue(ctx); err != nil {
		t.Fatal(err)
	}
	var model, camp, msg string
	if err := a.pool.QueryRow(ctx, `SELECT model, campaign_id, message_id FROM attribution_orders WHERE order_id = 'o1'`).Scan(&model, &camp, &msg); err != nil {
		t.Fatal(err)
	}
	if model != "click" || camp != "spring" || msg != "m1" {
		t.Errorf("o1 credited %s %s %s, want the click of spring's m1", model, camp, msg)
	}
}
