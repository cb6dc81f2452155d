package smpp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/testkit"
)

func TestSubmitThousandWithReceipts(t *testing.T) {
	t.Parallel()
	cfg := smscsim.Config{
		Seed:             7,
		DeliveredRatio:   0.7,
		UndeliveredRatio: 0.1,
		ExpiredRatio:     0.1,
		RejectedRatio:    0.1,
		ReceiptDelay:     5 * time.Millisecond,
	}
	sim := startSim(t, cfg)
	rs := newReceipts()
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), Window: 50}, smpp.WithReceiptHandler(rs.handle))

	const n, workers = 1000, 32
	type sent struct{ to, text, id string }
	results := make([]sent, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				s := &carriers.Submission{
					MessageID:          fmt.Sprint(i),
					To:                 fmt.Sprintf("+4915%08d", i),
					From:               "ShopName",
					Text:               fmt.Sprintf("Your order %d has shipped", i),
					RegisteredDelivery: true,
				}
				acc, err := c.Submit(ctx, s)
				if err == nil && len(acc.IDs) != 1 {
					err = fmt.Errorf("%d ids", len(acc.IDs))
				}
				if err != nil {
					errs[i] = err
					continue
				}
				results[i] = sent{s.To, s.Text, acc.IDs[0]}
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		if seen[results[i].id] {
			t.Fatalf("submit %d: id %s given twice", i, results[i].id)
		}
		seen[results[i].id] = true
	}
	if got := sim.TotalSubmits(); got != n {
		t.Errorf("simulator counted %d submits, want %d", got, n)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if got := rs.count(); got < n {
			return fmt.Errorf("%d receipts of %d", got, n)
		}
		return nil
	})
	states := map[string]int{}
	for i, r := range results {
		got := rs.get(r.id)
		if len(got) != 1 {
			t.Fatalf("message %d: %d receipts", i, len(got))
		}
		want := cfg.Outcome(r.to, r.text)
		if got[0].State != want || got[0].Status != core.ReceiptStatus(want) || got[0].Carrier != "sim" {
			t.Errorf("message %d: receipt %+v, want state %s", i, got[0], want)
		}
		if got[0].Done.IsZero() {
			t.Errorf("message %d: receipt without done date", i)
		}
		if s := sim.Submits(r.to, r.text); s != 1 {
			t.Errorf("message %d: simulator counted %d submits", i, s)
		}
		states[got[0].State]++
	}
	for _, st := range []string{"DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"} {
		if states[st] == 0 {
			t.Errorf("no message ended %s: %v", st, states)
		}
	}
}

func TestSubmitMultipart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		text   string
		coding gsm.Options
		parts  int
	}{
		{"gsm7 8-bit ref", strings.Repeat("Cart reminder: your items wait. ", 13)[:400], gsm.Options{}, 3},
		{"gsm7 16-bit ref", strings.Repeat("Cart reminder: your items wait. ", 13)[:400], gsm.Options{Ref16: true}, 3},
		{"gsm7 escapes", strings.Repeat("{€}", 100), gsm.Options{}, 4},
		{"ucs2", strings.Repeat("Ваш заказ отправлен. ", 8), gsm.Options{}, 3},
		{"single", "Your code is 123456", gsm.Options{}, 1},
	}
	cfg := smscsim.Config{Seed: 3, DeliveredRatio: 0.5, UndeliveredRatio: 0.5}
	sim := startSim(t, cfg)
	rs := newReceipts()
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr()}, smpp.WithReceiptHandler(rs.handle))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &carriers.Submission{
				To:                 fmt.Sprintf("+4477009000%02d", i),
				From:               "+15550001111",
				Text:               tt.text,
				Coding:             tt.coding,
				RegisteredDelivery: true,
			}
			if got := gsm.Analyze(tt.text, tt.coding).Segments; got != tt.parts {
				t.Fatalf("test text has %d parts, want %d", got, tt.parts)
			}
			acc, err := c.Submit(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			if len(acc.IDs) != tt.parts {
				t.Fatalf("got %d ids, want %d", len(acc.IDs), tt.parts)
			}
			if got := sim.Submits(s.To, s.Text); got != 1 {
				t.Errorf("simulator reassembled %d messages, want 1", got)
			}
			want := cfg.Outcome(s.To, s.Text)
			testkit.Eventually(t, 5*time.Second, func() error {
				for _, id := range acc.IDs {
					if len(rs.get(id)) == 0 {
						return fmt.Errorf("no receipt for %s", id)
					}
				}
				return nil
			})
			for _, id := range acc.IDs {
				if r := rs.get(id); len(r) != 1 || r[0].State != want {
					t.Errorf("id %s: receipts %+v, want one %s", id, r, want)
				}
			}
		})
	}
}

func TestSubmitWindowNeverExceeded(t *testing.T) {
	t.Parallel()
	const window = 8
	sim := startSim(t, smscsim.Config{Latency: 20 * time.Millisecond})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), Window: window})
	var wg sync.WaitGroup
	errs := make(chan error, 64*4)
	for w := range 64 {
		wg.Go(func() {
			for i := range 4 {
				_, err := c.Submit(t.Context(), &carriers.Submission{To: fmt.Sprintf("+3161%07d", w*4+i), Text: "window"})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := sim.Stats()
	if st.MaxInFlight > window {
		t.Errorf("simulator saw %d submit_sm in flight, window is %d", st.MaxInFlight, window)
	}
	if st.MaxInFlight < 2 {
		t.Errorf("simulator saw at most %d in flight: submits were not pipelined", st.MaxInFlight)
	}
}

func TestSubmitCommandStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		sim       smscsim.Config
		to        string
		parallel  int
		want      smpp.CommandStatus
		retriable bool
	}{
		{"invalid destination", smscsim.Config{}, "", 1, smpp.StatusInvalidDestAddr, false},
		{"system error", smscsim.Config{ErrorRatio: 1}, "+4915100000001", 4, smpp.StatusSystemError, true},
		{"chosen permanent error", smscsim.Config{ErrorRatio: 1, ErrorStatus: smpp.StatusInvalidSourceAddr}, "+4915100000001", 2, smpp.StatusInvalidSourceAddr, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, tt.sim)
			c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), Window: 32})
			var mu sync.Mutex
			var got []error
			var wg sync.WaitGroup
			for range tt.parallel {
				wg.Go(func() {
					_, err := c.Submit(t.Context(), &carriers.Submission{To: tt.to, Text: "status"})
					mu.Lock()
					got = append(got, err)
					mu.Unlock()
				})
			}
			wg.Wait()
			found := false
			for _, err := range got {
				var st smpp.CommandStatus
				if !errors.As(err, &st) {
					continue
				}
				found = true
				if st != tt.want || !errors.Is(err, tt.want) {
					t.Errorf("status %v, want %v", st, tt.want)
				}
				if carriers.IsRetriable(err) != tt.retriable {
					t.Errorf("IsRetriable(%v) = %v, want %v", err, !tt.retriable, tt.retriable)
				}
				if errors.Is(err, carriers.ErrInDoubt) {
					t.Errorf("%v is in doubt; the carrier answered", err)
				}
			}
			if !found {
				t.Fatalf("no submit failed with %v: %v", tt.want, got)
			}
		})
	}
}

func TestSubmitExpiredValidity(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr()})
	_, err := c.Submit(t.Context(), &carriers.Submission{To: "+15550001", Text: "late", ValidUntil: time.Now().Add(-time.Minute)})
	if !errors.Is(err, smpp.ErrExpired) {
		t.Fatalf("got %v, want ErrExpired", err)
	}
	acc, err := c.Submit(t.Context(), &carriers.Submission{To: "+15550001", Text: "in time", ValidUntil: time.Now().Add(time.Hour)})
	if err != nil || len(acc.IDs) != 1 {
		t.Fatalf("got %v, %v", acc, err)
	}
}
