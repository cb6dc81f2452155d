package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestCancel withdraws an abandoned-cart reminder scheduled an hour ahead:
// it ends CANCELED in GetMessage and in its campaign's stats, and never
// reaches the carrier. A delivered message cannot be withdrawn; bad ids
// get the errors GetMessage gives them, over Connect and grpc-go alike.
func TestCancel(t *testing.T) {
	r := startTestSystem(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1, ReceiptDelay: 10 * time.Millisecond})
	url := "http://" + r.apiAddr
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := ternv1connect.NewMessageServiceClient(h2c(), url, bearer(r.devKey))
	stats := ternv1connect.NewAnalyticsServiceClient(h2c(), url, bearer(r.devKey))
	campaign := fmt.Sprint("cart-", time.Now().UnixNano())

	reminder, err := client.Send(ctx, connect.NewRequest(&ternv1.SendRequest{
		To: "+14155552691", Body: "You left something in your cart", CampaignId: campaign,
		SendAt: timestamppb.New(time.Now().Add(time.Hour)),
	}))
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := client.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552692", Body: "Your order has shipped", CampaignId: campaign}))
	if err != nil {
		t.Fatal(err)
	}
	statusOf := func(id string) (ternv1.Status, error) {
		got, err := client.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: id}))
		return got.Msg.GetMessage().GetStatus(), err
	}
	testkit.Eventually(t, time.Minute, func() error {
		if st, err := statusOf(shipped.Msg.Id); err != nil || st != ternv1.Status_STATUS_DELIVERED {
			return fmt.Errorf("shipped message %v, %v; want delivered", st, err)
		}
		return nil
	})

	got, err := client.Cancel(ctx, connect.NewRequest(&ternv1.CancelRequest{Id: reminder.Msg.Id}))
	if err != nil || got.Msg.Status != ternv1.Status_STATUS_CANCELED || got.Msg.Id != reminder.Msg.Id {
		t.Fatalf("Cancel(scheduled) = %v, %v", got, err)
	}
	testkit.Eventually(t, time.Minute, func() error {
		if st, err := statusOf(reminder.Msg.Id); err != nil || st != ternv1.Status_STATUS_CANCELED {
			return fmt.Errorf("canceled message %v, %v; want canceled", st, err)
		}
		s, err := stats.GetCampaignStats(ctx, connect.NewRequest(&ternv1.GetCampaignStatsRequest{CampaignId: campaign}))
		if err != nil || s.Msg.Canceled != 1 || s.Msg.Delivered != 1 || s.Msg.Accepted != 2 {
			return fmt.Errorf("campaign stats %v, %v; want 1 canceled, 1 delivered of 2", s, err)
		}
		return nil
	})
	if n := r.sim.Submits("+14155552691", "You left something in your cart"); n != 0 {
		t.Fatalf("the canceled message reached the carrier %d times", n)
	}

	_, err = client.Cancel(ctx, connect.NewRequest(&ternv1.CancelRequest{Id: shipped.Msg.Id}))
	if connect.CodeOf(err) != connect.CodeFailedPrecondition || !strings.Contains(connectMessage(err), "carrier accepted") {
		t.Fatalf("Cancel(delivered) = %v, want FailedPrecondition saying a carrier accepted it", err)
	}
	_, err = client.Cancel(ctx, connect.NewRequest(&ternv1.CancelRequest{Id: "nope"}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.HasPrefix(connectMessage(err), "id:") {
		t.Fatalf("Cancel(malformed) = %v, want InvalidArgument naming id", err)
	}
	forged := forgeID(reminder.Msg.Id)
	conn := grpcClient(t, r.apiAddr)
	err = conn.Invoke(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+r.devKey),
		ternv1connect.MessageServiceCancelProcedure, &ternv1.CancelRequest{Id: forged}, &ternv1.CancelResponse{})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("grpc-go Cancel(forged id) = %v, want NotFound", err)
	}
}
