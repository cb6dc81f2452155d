package attribution

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/stream"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// The clicks topic's record is the link service's; the test writes
// clicks as JSON and reads them with its own decoder.
func decodeJSONClick(r *kgo.Record) (Click, error) {
	var c Click
	err := json.Unmarshal(r.Value, &c)
	return c, err
}

// TestAttribution: a click then an order credits the click's campaign;
// without a click, the last marketing message in the window; a flow's
// message credits the flow; touches outside a window, or after the
// order, credit nothing.
func TestAttribution(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url, brokers := pgtest.URL(t), []string{kafkatest.Broker(t)}
	for _, name := range []string{"tern.events", "tern.clicks", storeevents.DefaultTopic, DefaultTopic} {
		if err := stream.EnsureTopic(ctx, brokers, stream.Topic{Name: name, Partitions: 2}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := Open(ctx, url, Config{Brokers: brokers, Clicks: "tern.clicks", DecodeClick: decodeJSONClick, Grace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.SetWindows(ctx, "shop-2", 7*24*time.Hour, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := a.SetWindows(ctx, "shop-2", time.Second, time.Hour); err != ErrWindow {
		t.Fatalf("a one-second window: %v", err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { a.Consume(rctx); done <- struct{}{} }()
	go func() { a.Run(rctx); done <- struct{}{} }()
	defer func() { stop(); <-done; <-done }()

	now := time.Now()
	produceTouches(t, ctx, brokers, now)
	// Let the touches land before the orders: the grace period does
	// that in production.
	testkit.Eventually(t, 30*time.Second, func() error {
		var n int
		a.pool.QueryRow(ctx, `SELECT count(*) FROM attribution_touches`).Scan(&n)
		if n != 7 {
			return fmt.Errorf("%d touches", n)
		}
		return nil
	})
	tr, err := storeevents.Open(ctx, url, storeevents.Config{Brokers: brokers})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var evs []commerce.Event
	for i, c := range []struct{ tenant, phone string }{{"shop-1", "+14155550001"}, {"shop-1", "+14155550002"}, {"shop-1", "+14155550003"},
		{"shop-1", "+14155550004"}, {"shop-1", "+14155550005"}, {"shop-2", "+14155550004"}, {"shop-1", "+14155550001"}} {
		id := fmt.Sprintf("o%d", i+1)
		if i == 6 {
			id = "o1" // the same order again, as a redelivery
		}
		evs = append(evs, commerce.Event{ID: fmt.Sprintf("api:%d", i), Tenant: c.tenant, Type: commerce.OrderCreated, OrderID: id, OrderName: "#" + id,
			Amount: 49_900_000, Currency: "USD", Customer: commerce.Customer{Phone: c.phone}, OccurredAt: now})
	}
	out := make([]storeevents.Result, len(evs))
	if err := tr.Track(ctx, evs, out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"shop-1 o1 message campaign=spring flow= m1",
		"shop-1 o2 message campaign= flow=abandoned_checkout m2",
		"shop-1 o3 click campaign=summer flow= m4",
		"shop-2 o6 message campaign=winter flow= m7",
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		got := readAttributions(t, ctx, brokers)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Errorf("attributions:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		return nil
	})
	var none int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM attribution_orders WHERE model = 'none'`).Scan(&none); err != nil || none != 2 {
		t.Fatalf("%d orders attributed to nothing, want o4 and o5: %v", none, err)
	}
}

func readAttributions(t *testing.T, ctx context.Context, brokers []string) []string {
	t.Helper()
	var out []string
	for _, r := range kafkatest.ReadAll(t, brokers, DefaultTopic) {
		var x recordv1.Attribution
		proto.Unmarshal(r.Value, &x)
		if x.AmountMicros != 49_900_000 || x.Currency != "USD" || x.OrderedAt == nil || x.TouchedAt == nil {
			t.Errorf("attribution %v", &x)
		}
		out = append(out, fmt.Sprintf("%s %s %s campaign=%s flow=%s %s", x.TenantId, x.OrderId, x.Model, x.CampaignId, x.FlowId, x.MessageId))
	}
	sort.Strings(out)
	return out
}

// produceTouches writes the test's sends and clicks: shop-1's customers
// 1 (a campaign's message 2 hours ago), 2 (a flow's message an hour
// ago), 3 (a message an hour ago and a click 3 days ago), 4 (a message
// 30 hours ago), 5 (a click after the order, and an OTP), and shop-2's
// customer 4 (a message 30 hours ago, in its 48-hour window).
func produceTouches(t *testing.T, ctx context.Context, brokers []string, now time.Time) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	send := func(tenant, to, id, campaign, origin string, ago time.Duration) *kgo.Record {
		v, _ := proto.Marshal(&recordv1.Event{MessageId: id, TenantId: tenant, CampaignId: campaign, Origin: origin, To: to,
			Status: ternv1.Status_STATUS_SUBMITTED, Category: ternv1.Category_CATEGORY_MARKETING, Time: timestamppb.New(now.Add(-ago))})
		return &kgo.Record{Topic: "tern.events", Key: []byte(id), Value: v}
	}
	click := func(tenant, to, id, campaign string, ago time.Duration) *kgo.Record {
		v, _ := json.Marshal(Click{Tenant: tenant, Phone: to, MessageID: id, CampaignID: campaign, At: now.Add(-ago)})
		return &kgo.Record{Topic: "tern.clicks", Key: []byte(to), Value: v}
	}
	otp, _ := proto.Marshal(&recordv1.Event{MessageId: "m-otp", TenantId: "shop-1", To: "+14155550005", Status: ternv1.Status_STATUS_DELIVERED,
		Category: ternv1.Category_CATEGORY_OTP, Time: timestamppb.New(now.Add(-time.Minute))})
	recs := []*kgo.Record{
		send("shop-1", "+14155550001", "m1", "spring", "", 2*time.Hour),
		send("shop-1", "+14155550002", "m2", "", "flow/abandoned_checkout", time.Hour),
		send("shop-1", "+14155550003", "m3", "newsletter", "", time.Hour),
		click("shop-1", "+14155550003", "m4", "summer", 3*24*time.Hour),
		send("shop-1", "+14155550004", "m5", "old", "", 30*time.Hour),
		click("shop-1", "+14155550005", "m6", "late", -time.Hour), // after the order
		{Topic: "tern.events", Value: otp},
		send("shop-2", "+14155550004", "m7", "winter", "", 30*time.Hour),
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}
