package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/msgid"
)

// TestQueryOverTheTenantsShare: query_sm of a tenant over its share of
// report queries gets ESME_RTHROTTLED; another tenant's query_sm is
// answered meanwhile.
func TestQueryOverTheTenantsShare(t *testing.T) {
	e := newEnv(t)
	cfg := chtest.Config(t)
	cfg.TenantReadRate = 0.01 // one query now, the next in 100 s
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reports, err := analytics.Open(ctx, cfg, analytics.WithLogger(chtest.Logger(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reports.Close() })
	ids, err := msgid.NewIssuer([]byte(testIDKey))
	if err != nil {
		t.Fatal(err)
	}
	srv := e.start(e.config(), WithQueries(reports, ids))
	e.account(Account{SystemID: "acme", TenantID: "shop"})
	e.account(Account{SystemID: "other", TenantID: "other-shop"})
	query := func(c *esme, id string) smpp.CommandStatus {
		t.Helper()
		p, err := c.call(&smpp.QuerySM{MessageID: id})
		if err != nil {
			t.Fatal(err)
		}
		return p.Status
	}
	acme := dialESME(t, srv.Addr())
	acme.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	other := dialESME(t, srv.Addr())
	other.bind(smpp.BindTransceiver, "other", "secret", smpp.StatusOK)
	id, st := acme.submit(sm("14155552671", "x", 0))
	otherID, otherSt := other.submit(sm("14155552672", "y", 0))
	if st != smpp.StatusOK || otherSt != smpp.StatusOK {
		t.Fatalf("submits: %v %v", st.Name(), otherSt.Name())
	}
	if st := query(acme, id); st != smpp.StatusOK {
		t.Fatalf("first query_sm: %v", st.Name())
	}
	if st := query(acme, id); st != smpp.StatusThrottled {
		t.Fatalf("query_sm over the tenant's share: %v, want %v", st.Name(), smpp.StatusThrottled.Name())
	}
	if st := query(other, otherID); st != smpp.StatusOK {
		t.Fatalf("another tenant's query_sm: %v", st.Name())
	}
}
