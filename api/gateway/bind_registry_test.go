package gateway

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/testkit"
)

// TestPhantomBindsExpire: a bind row whose session ended without deleting
// it (the database was away then) is not refreshed by the instance's
// heartbeat, goes stale and stops holding the account's bind slot, while
// the rows of live sessions stay.
func TestPhantomBindsExpire(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme", BindLimit: 1})
	e.account(Account{SystemID: "live", BindLimit: 1})
	live := dialESME(t, srv.Addr())
	live.bind(smpp.BindTransceiver, "live", "secret", smpp.StatusOK)
	ctx := context.Background()
	if _, ok, err := e.store.registerBind(ctx, "acme", srv.cfg.InstanceID, "127.0.0.1:9", smpp.BindTransceiver, 1, srv.staleAfter()); err != nil || !ok {
		t.Fatalf("phantom bind: %v %v", ok, err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		c := dialESME(t, srv.Addr())
		defer c.nc.Close()
		p, err := c.call(&smpp.Bind{Type: smpp.BindTransceiver, SystemID: "acme", Password: "secret", InterfaceVersion: smpp.InterfaceVersion})
		if err != nil || p.Status != smpp.StatusOK {
			return fmt.Errorf("bind beside a phantom bind: %v %v", p.Status.Name(), err)
		}
		return nil
	})
	// The live session's row was kept fresh all along.
	dialESME(t, srv.Addr()).bind(smpp.BindTransceiver, "live", "secret", smpp.StatusBindFailed)
	if _, st := live.submit(sm("14155552671", "still bound", 0)); st != smpp.StatusOK {
		t.Fatalf("live session: %v", st.Name())
	}
}
