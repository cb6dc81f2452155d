package smpp_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
)

// TestReconnectBackoff follows one bind through refused dials, binds that
// drop at once, a bind that stays up, refused dials again, a short bind on
// which the SMSC took a submit, and a refused dial: the waits grow
// exponentially within their jitter, do not start over after the
// short-lived binds, and do after the one that proved stable and after
// the one that carried a message.
func TestReconnectBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const (
			minWait = time.Second
			maxWait = 16 * time.Second
			stable  = 10 * time.Second
		)
		type phase struct {
			up     time.Duration // 0: the dial is refused
			submit bool          // a message goes out on the session
		}
		plan := []phase{{}, {}, {}, {}, {up: 100 * time.Millisecond}, {up: 100 * time.Millisecond}, {up: 2 * stable}, {}, {},
			{up: time.Second, submit: true}, {}}
		dials := make(chan time.Time, len(plan)+8)
		n := 0
		var c *smpp.Client
		submitted := make(chan error, 1)
		dial := func(ctx context.Context, _ string) (net.Conn, error) {
			dials <- time.Now()
			if n >= len(plan) || plan[n].up == 0 {
				n++
				return nil, errors.New("connection refused")
			}
			up, submit := plan[n].up, plan[n].submit
			n++
			if submit {
				go func() {
					_, err := c.Submit(ctx, &carriers.Submission{To: "+14155552671", Text: "Your order has shipped"})
					submitted <- err
				}()
			}
			esme, smsc := net.Pipe()
			ss := smpp.NewServerSession(smsc, echoSMSC{})
			go ss.Serve(context.Background())
			time.AfterFunc(up, func() { ss.Close() })
			return esme, nil
		}
		var err error
		c, err = smpp.NewClient(smpp.ClientConfig{Name: "flaky", Addr: "smsc:2775", ReconnectMin: minWait, ReconnectMax: maxWait, StableAfter: stable},
			smpp.WithDialer(dial))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()

		var at []time.Time
		for range plan {
			at = append(at, <-dials)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}

		// The wait before dial k+1, after dial k's session ended.
		want := []struct {
			up     time.Duration
			lo, hi time.Duration
		}{
			{0, 500 * time.Millisecond, time.Second},                    // attempt 1
			{0, time.Second, 2 * time.Second},                           // 2
			{0, 2 * time.Second, 4 * time.Second},                       // 3
			{0, 4 * time.Second, 8 * time.Second},                       // 4, then a bind
			{100 * time.Millisecond, 8 * time.Second, 16 * time.Second}, // short bind: no reset
			{100 * time.Millisecond, 8 * time.Second, 16 * time.Second}, // at the maximum
			{2 * stable, 500 * time.Millisecond, time.Second},           // stable bind: reset
			{0, time.Second, 2 * time.Second},                           // and growing again
			{0, 2 * time.Second, 4 * time.Second},                       // 9, then a bind
			{time.Second, 500 * time.Millisecond, time.Second},          // it carried a message: reset
		}
		for k, w := range want {
			gap := at[k+1].Sub(at[k]) - w.up
			if gap < w.lo || gap > w.hi {
				t.Errorf("wait after dial %d: %v, want %v to %v", k+1, gap, w.lo, w.hi)
			}
		}
		if err := <-submitted; err != nil {
			t.Errorf("submit on the short bind: %v", err)
		}
		if st := c.Stats(); st.Binds != 4 {
			t.Errorf("%d binds, want 4", st.Binds)
		}
	})
}
