package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smscsim"
)

// TestSimReply: sim-reply reaches the simulator's control endpoint and
// reports its answer; missing flags are refused first.
func TestSimReply(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := runSimReply(ctx, []string{"--from", "+14155552671", "--to", "14155550100"}); err == nil || !strings.Contains(err.Error(), "--text") {
		t.Fatalf("missing --text: %v", err)
	}
	sim, err := smscsim.New(smscsim.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.ControlHandler())
	defer srv.Close()
	// Nothing is bound to the simulator: it says so.
	err = runSimReply(ctx, []string{"--control", strings.TrimPrefix(srv.URL, "http://"), "--from", "+14155552671", "--to", "14155550100", "--text", "STOP"})
	if err == nil || !strings.Contains(err.Error(), "no receiver bound") {
		t.Fatalf("sim-reply with no receiver: %v", err)
	}
}
