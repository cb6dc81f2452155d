package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// reportCountries are the test's destinations: a number format each, the
// carrier its route takes, and what that carrier charges per segment there
// in millionths of EUR (carrier-b's cost= is overridden on GB's route).
var reportCountries = []struct {
	country, format, carrier string
	cost                     int64
}{
	{"US", "+1415555%04d", "carrier-a", 4200},
	{"DE", "+4915112%06d", "carrier-b", 7500},
	{"GB", "+447911%06d", "carrier-b", 6000},
}

// startSim starts a simulator SMSC with cfg until the test ends.
func startSim(t *testing.T, cfg smscsim.Config) *smscsim.Server {
	t.Helper()
	sim, err := smscsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// TestServeReports: tern serve writes what a campaign did into the
// analytics store, with each carrier's cost from its route's cost=, and
// answers GetCampaignReport and GetDeliveryReport with the counts the
// simulators decided: two carriers with different costs, three
// countries, a known mix of outcomes.
func TestServeReports(t *testing.T) {
	simCfg := smscsim.Config{Addr: "127.0.0.1:0", Seed: 32, DeliveredRatio: 0.95, UndeliveredRatio: 0.03, ExpiredRatio: 0.02,
		ReceiptDelay: 20 * time.Millisecond}
	a, b := startSim(t, simCfg), startSim(t, simCfg)
	r := startConfigured(t, smscsim.Config{}, func(c *serveConfig) {
		c.carriers = []string{"carrier-a=smpp://tern:pw@" + a.Addr() + "?cost=0.0042&currency=EUR",
			"carrier-b=smpp://tern:pw@" + b.Addr() + "?cost=0.0075&currency=EUR"}
		c.routes = []string{"US=carrier-a", "DE=carrier-b", "GB=carrier-b@0.006"}
	})
	url := "http://" + r.apiAddr
	send := connectSender(url, r.devKey)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const perCountry = 120
	want := map[string]*ternv1.Funnel{} // by "country/carrier", and "" for all
	cost := map[string]int64{}
	add := func(key, outcome string) {
		f := want[key]
		if f == nil {
			f = &ternv1.Funnel{}
			want[key] = f
		}
		f.Accepted++
		f.Submitted++
		switch outcome {
		case "DELIVRD":
			f.Delivered++
		case "UNDELIV":
			f.Undelivered++
		case "EXPIRED":
			f.Expired++
		default:
			t.Fatalf("outcome %q", outcome)
		}
	}
	for _, c := range reportCountries {
		for i := range perCountry {
			to, body := fmt.Sprintf(c.format, 1000+i), fmt.Sprintf("Spring sale, order %d: 20%% off today", i)
			if _, err := send(ctx, &ternv1.SendRequest{To: to, Body: body, CampaignId: "spring"}); err != nil {
				t.Fatalf("send to %s: %v", to, err)
			}
			out := simCfg.Outcome(to, body)
			add("", out)
			add(c.country+"/"+c.carrier, out)
			cost[c.carrier] += c.cost
		}
	}
	if all := want[""]; all.Undelivered == 0 || all.Expired == 0 {
		t.Fatalf("the simulators' outcomes are not mixed: %v", all)
	}
	client := ternv1connect.NewAnalyticsServiceClient(h2c(), url, bearer(r.devKey))
	testkit.Eventually(t, 2*time.Minute, func() error { return checkCampaignReport(ctx, client, want, cost) })
	testkit.Eventually(t, time.Minute, func() error { return checkDeliveryReport(ctx, client, want, cost) })
}

// checkCampaignReport compares the campaign's funnel, its breakdown by
// carrier and its cost with want and cost.
func checkCampaignReport(ctx context.Context, client ternv1connect.AnalyticsServiceClient, want map[string]*ternv1.Funnel, cost map[string]int64) error {
	resp, err := client.GetCampaignReport(ctx, connect.NewRequest(&ternv1.GetCampaignReportRequest{CampaignId: "spring"}))
	if err != nil {
		return err
	}
	got := resp.Msg
	if fmt.Sprint(got.GetFunnel()) != fmt.Sprint(want[""]) {
		return fmt.Errorf("funnel %v, want %v", got.GetFunnel(), want[""])
	}
	total := cost["carrier-a"] + cost["carrier-b"]
	if len(got.GetCost()) != 1 || got.GetCost()[0].GetCurrency() != "EUR" || got.GetCost()[0].GetMicros() != total {
		return fmt.Errorf("cost %v, want %d EUR micros", got.GetCost(), total)
	}
	if err := checkErrorCodes(got.GetErrorCodes(), want); err != nil {
		return err
	}
	for _, bc := range got.GetByCarrier() {
		if bc.GetKey() == "" {
			continue
		}
		var sum ternv1.Funnel
		for key, f := range want {
			if strings.HasSuffix(key, "/"+bc.GetKey()) {
				sum.Submitted += f.Submitted
				sum.Delivered += f.Delivered
				sum.Undelivered += f.Undelivered
				sum.Expired += f.Expired
			}
		}
		g := bc.GetFunnel()
		if g.GetSubmitted() != sum.Submitted || g.GetDelivered() != sum.Delivered || g.GetUndelivered() != sum.Undelivered || g.GetExpired() != sum.Expired {
			return fmt.Errorf("carrier %s: %v, want %v", bc.GetKey(), g, &sum)
		}
		if m := bc.GetCost(); len(m) != 1 || m[0].GetMicros() != cost[bc.GetKey()] {
			return fmt.Errorf("carrier %s cost %v, want %d", bc.GetKey(), m, cost[bc.GetKey()])
		}
	}
	return nil
}

// checkDeliveryReport compares today's delivery report by country and
// carrier with want: a message's acceptance counts under its country and
// carrier "", the rest under the carrier that took it.
func checkDeliveryReport(ctx context.Context, client ternv1connect.AnalyticsServiceClient, want map[string]*ternv1.Funnel, cost map[string]int64) error {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	resp, err := client.GetDeliveryReport(ctx, connect.NewRequest(&ternv1.GetDeliveryReportRequest{
		From: timestamppb.New(today), To: timestamppb.New(today.Add(24 * time.Hour)),
		GroupBy: []ternv1.DeliveryDimension{ternv1.DeliveryDimension_DELIVERY_DIMENSION_COUNTRY, ternv1.DeliveryDimension_DELIVERY_DIMENSION_CARRIER},
	}))
	if err != nil {
		return err
	}
	var got, exp []string
	for _, row := range resp.Msg.GetRows() {
		f := row.GetFunnel()
		var micros int64
		for _, m := range row.GetCost() {
			micros += m.GetMicros()
		}
		got = append(got, fmt.Sprintf("%s/%s a%d s%d d%d u%d e%d c%d", row.GetCountry(), row.GetCarrier(), f.GetAccepted(), f.GetSubmitted(),
			f.GetDelivered(), f.GetUndelivered(), f.GetExpired(), micros))
	}
	for _, c := range reportCountries {
		f := want[c.country+"/"+c.carrier]
		exp = append(exp, fmt.Sprintf("%s/ a%d s0 d0 u0 e0 c0", c.country, f.Accepted),
			fmt.Sprintf("%s/%s a0 s%d d%d u%d e%d c%d", c.country, c.carrier, f.Submitted, f.Delivered, f.Undelivered, f.Expired, f.Submitted*c.cost))
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		return fmt.Errorf("delivery report\n%v\nwant\n%v", got, exp)
	}
	return nil
}

// checkErrorCodes compares the undelivered messages' error codes with
// want: the simulator answers UNDELIV with err:001, unknown subscriber.
func checkErrorCodes(codes []*ternv1.ErrorCodeCount, want map[string]*ternv1.Funnel) error {
	got := map[string]int64{}
	for _, c := range codes {
		if c.GetStatus() == ternv1.Status_STATUS_UNDELIVERED {
			got[c.GetCarrier()+"/"+c.GetErrorCode()] += c.GetMessages()
		}
	}
	exp := map[string]int64{}
	for key, f := range want {
		if _, carrier, ok := strings.Cut(key, "/"); ok && f.Undelivered > 0 {
			exp[carrier+"/001"] += f.Undelivered
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		return fmt.Errorf("undelivered by carrier and error code %v, want %v", got, exp)
	}
	return nil
}
