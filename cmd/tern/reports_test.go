package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestServeCampaignReport: tern serve writes what a campaign did into
// the analytics store, with the carrier's cost from its cost=, and
// answers GetCampaignReport with the counts the simulator decided.
func TestServeCampaignReport(t *testing.T) {
	simCfg := smscsim.Config{Addr: "127.0.0.1:0", Seed: 32, DeliveredRatio: 0.95, UndeliveredRatio: 0.03, ExpiredRatio: 0.02,
		ReceiptDelay: 20 * time.Millisecond}
	sim, err := smscsim.New(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	r := startConfigured(t, smscsim.Config{}, func(c *serveConfig) {
		c.carriers = []string{"sim=smpp://tern:pw@" + sim.Addr() + "?cost=0.0042&currency=EUR"}
	})
	url := "http://" + r.apiAddr
	send := connectSender(url, r.devKey)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const n = 200
	want := &ternv1.Funnel{Accepted: n, Submitted: n}
	for i := range n {
		to, body := fmt.Sprintf("+1415555%04d", 3000+i), fmt.Sprintf("Spring sale, order %d: 20%% off today", i)
		if _, err := send(ctx, &ternv1.SendRequest{To: to, Body: body, CampaignId: "spring"}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		switch simCfg.Outcome(to, body) {
		case "DELIVRD":
			want.Delivered++
		case "UNDELIV":
			want.Undelivered++
		case "EXPIRED":
			want.Expired++
		default:
			t.Fatalf("outcome %q", simCfg.Outcome(to, body))
		}
	}
	if want.Undelivered == 0 || want.Expired == 0 {
		t.Fatalf("the simulator's outcomes are not mixed: %v", want)
	}
	client := ternv1connect.NewAnalyticsServiceClient(h2c(), url, bearer(r.devKey))
	testkit.Eventually(t, 2*time.Minute, func() error {
		resp, err := client.GetCampaignReport(ctx, connect.NewRequest(&ternv1.GetCampaignReportRequest{CampaignId: "spring"}))
		if err != nil {
			return err
		}
		got := resp.Msg
		if fmt.Sprint(got.GetFunnel()) != fmt.Sprint(want) {
			return fmt.Errorf("funnel %v, want %v", got.GetFunnel(), want)
		}
		if len(got.GetCost()) != 1 || got.GetCost()[0].GetCurrency() != "EUR" || got.GetCost()[0].GetMicros() != n*4200 || got.GetSegments() != n {
			return fmt.Errorf("cost %v for %d segments, want %d EUR micros", got.GetCost(), got.GetSegments(), n*4200)
		}
		return nil
	})
}
