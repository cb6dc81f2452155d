package gateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
)

// TestReceiptRecordsRetried: when the receipt join cannot be written
// after a submit is accepted (the database refuses for a while), the
// write is retried until it succeeds and the receipt still reaches the
// customer: never none.
func TestReceiptRecordsRetried(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme"})
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'database away'; END $$`,
		`CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE ON smpp_messages FOR EACH ROW EXECUTE FUNCTION refuse_writes()`,
	} {
		if _, err := e.store.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	id, st := c.submit(sm("14155552671", "Your order shipped", 1))
	if st != smpp.StatusOK {
		t.Fatalf("submit: %v", st.Name())
	}
	// Three writes refused: more than a blip.
	testkit.Eventually(t, 20*time.Second, func() error {
		if n := strings.Count(e.logs.String(), "database away"); n < 3 {
			return fmt.Errorf("%d writes refused", n)
		}
		return nil
	})
	if _, err := e.store.pool.Exec(ctx, `DROP TRIGGER refuse_writes ON smpp_messages`); err != nil {
		t.Fatal(err)
	}
	e.final("acme", id, core.StatusDelivered, "000")
	testkit.Eventually(t, 30*time.Second, func() error {
		if c.receipts()[id] == nil {
			return fmt.Errorf("no receipt for %s", id)
		}
		return nil
	})
	if n := counterValue(srv.metrics.lost); n != 0 {
		t.Fatalf("%v receipt records lost", n)
	}
}
