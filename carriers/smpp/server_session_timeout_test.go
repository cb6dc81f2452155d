package smpp_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// pipePeer is a rawPeer over one end of an in-memory pipe, for tests in a
// synctest bubble.
func pipePeer(t *testing.T, nc net.Conn) *rawPeer {
	return &rawPeer{t: t, nc: nc, r: smpp.NewReader(nc, 0)}
}

func TestServerSessionTimeouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []smpp.SessionOption
		// peer drives the ESME side; it returns when it expects the
		// session to have closed.
		peer func(p *rawPeer)
		want error
		// after is how long after the start the session must end.
		after time.Duration
	}{
		{
			name:  "no bind",
			opts:  []smpp.SessionOption{smpp.WithBindTimeout(2 * time.Second), smpp.WithIdleTimeout(-1)},
			peer:  func(p *rawPeer) {},
			want:  smpp.ErrBindTimeout,
			after: 2 * time.Second,
		},
		{
			name: "enquire_link does not count as a bind",
			opts: []smpp.SessionOption{smpp.WithBindTimeout(2 * time.Second), smpp.WithIdleTimeout(-1)},
			peer: func(p *rawPeer) {
				time.Sleep(time.Second)
				p.send(1, &smpp.EnquireLink{})
				p.expect(smpp.CmdEnquireLinkResp, smpp.StatusOK, 1)
			},
			want:  smpp.ErrBindTimeout,
			after: 2 * time.Second,
		},
		{
			name: "idle after bind",
			opts: []smpp.SessionOption{smpp.WithBindTimeout(2 * time.Second), smpp.WithIdleTimeout(10 * time.Second)},
			peer: func(p *rawPeer) {
				p.send(1, bindTRX("shop"))
				p.expect(smpp.CmdBindTransceiverResp, smpp.StatusOK, 1)
				// Activity keeps the session: enquire_link every 8s.
				for i := range 3 {
					time.Sleep(8 * time.Second)
					p.send(uint32(2+i), &smpp.EnquireLink{})
					p.expect(smpp.CmdEnquireLinkResp, smpp.StatusOK, uint32(2+i))
				}
			},
			want: smpp.ErrIdleTimeout,
			// 24s of activity, then 10s of silence, detected within the
			// sweeper's tick (at most a second).
			after: 35 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				esme, smsc := net.Pipe()
				defer esme.Close()
				start := time.Now()
				done := make(chan error, 1)
				go func() {
					done <- smpp.NewServerSession(smsc, echoSMSC{}, tt.opts...).Serve(context.Background())
				}()
				p := pipePeer(t, esme)
				tt.peer(p)
				// Keep reading so the session's writes never block.
				go func() {
					for {
						if _, err := p.r.ReadFrame(); err != nil {
							return
						}
					}
				}()
				err := <-done
				if !errors.Is(err, tt.want) {
					t.Fatalf("Serve: %v, want %v", err, tt.want)
				}
				if got := time.Since(start); got < tt.after-time.Second || got > tt.after {
					t.Errorf("session ended after %v, want about %v", got, tt.after)
				}
			})
		})
	}
}
