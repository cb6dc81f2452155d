package smscsim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
)

// TestControlMO: a POST /mo reaches the bound ESME as a deliver_sm; bad
// requests and a system_id with no receiver get clear answers.
func TestControlMO(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sim, err := New(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	got := make(chan carriers.Inbound, 1)
	client, err := smpp.NewClient(smpp.ClientConfig{Name: "sim", Addr: sim.Addr(), SystemID: DefaultMOSystemID, Password: "pw"},
		smpp.WithInboundHandler(func(_ context.Context, in carriers.Inbound) error { got <- in; return nil }))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { client.Run(runCtx); close(done) }()
	defer func() { client.Close(ctx); stop(); <-done }()
	srv := httptest.NewServer(sim.ControlHandler())
	defer srv.Close()
	post := func(body string) int {
		resp, err := http.Post(srv.URL+"/mo", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(20 * time.Second)
	for post(`{"from":"+14155552671","to":"14155550100","text":"STOP"}`) != http.StatusNoContent {
		if time.Now().After(deadline) {
			t.Fatal("the simulator never delivered the reply")
		}
		tick := time.NewTimer(50 * time.Millisecond) // until the client is bound
		<-tick.C
	}
	in := <-got
	if in.Text != "STOP" || in.To != "14155550100" || !strings.HasSuffix(in.From, "14155552671") {
		t.Fatalf("inbound %+v", in)
	}
	for body, want := range map[string]int{
		`{"from":"+14155552671","to":"1","text":""}`:                     http.StatusBadRequest,
		`{"to":"1","text":"x"}`:                                          http.StatusBadRequest,
		`{"from":"1","to":"1","text":"x","extra":1}`:                     http.StatusBadRequest,
		`{"from":"1","to":"1","text":"x","system_id":"nobody"}`:          http.StatusConflict,
		`{"from":"+14155552671","to":"` + strings.Repeat("9", 30) + `"}`: http.StatusBadRequest,
	} {
		if code := post(body); code != want {
			t.Errorf("POST %s: %d, want %d", body, code, want)
		}
	}
}
