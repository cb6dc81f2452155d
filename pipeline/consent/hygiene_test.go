package consent

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/hygiene"
	"github.com/ternsms/tern/core/testkit"
)

// TestHygieneSuppression: list hygiene suppresses a number for marketing
// on every instance, through the same states and topic as opt-outs; it is
// visible, separate from the opt-in it leaves in place, and reversible.
func TestHygieneSuppression(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	a, b := e.start(t, ctx), e.start(t, ctx)
	if _, _, _, err := a.ledger.Record(ctx, Event{Tenant: "shop-1", Number: number, Kind: consent.OptIn, Scope: consent.ScopeMarketing, Method: MethodAPI}); err != nil {
		t.Fatal(err)
	}
	changed, err := a.ledger.SuppressHygiene(ctx, "shop-1", number, hygiene.ClassUnknownSubscriber, "carrier-a 001")
	if err != nil || !changed {
		t.Fatalf("SuppressHygiene = %v, %v", changed, err)
	}
	for _, inst := range []instance{a, b} {
		testkit.Eventually(t, 10*time.Second, func() error {
			err := inst.set.Check("shop-1", number, core.CategoryMarketing, "")
			if err == nil || err.Error() != "to: suppressed (hygiene: unknown subscriber)" {
				return fmt.Errorf("marketing check = %v", err)
			}
			return nil
		})
		if err := inst.set.Check("shop-1", number, core.CategoryOTP, ""); err != nil {
			t.Fatalf("an OTP to a suppressed number is refused: %v", err)
		}
	}
	if changed, err := a.ledger.SuppressHygiene(ctx, "shop-1", number, hygiene.ClassUnknownSubscriber, "again"); err != nil || changed {
		t.Fatalf("suppressing again = %v, %v; want no change", changed, err)
	}
	if _, err := a.ledger.SuppressHygiene(ctx, "shop-1", number, hygiene.ClassRepeatedlyUndelivered, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("suppressing with a report-only class = %v, want ErrInvalid", err)
	}
	marks, err := a.ledger.HygieneMarks(ctx, "shop-1")
	if err != nil || len(marks) != 1 || marks[0].Number != number || marks[0].Class != hygiene.ClassUnknownSubscriber || marks[0].SuppressedAt.IsZero() {
		t.Fatalf("HygieneMarks = %+v, %v", marks, err)
	}
	if refusal := sqlRefusal(t, ctx, e, a, core.CategoryMarketing); refusal != "suppressed" {
		t.Fatalf("consent_refusal(marketing) = %q", refusal)
	}
	if refusal := sqlRefusal(t, ctx, e, a, core.CategoryTransactional); refusal != "" {
		t.Fatalf("consent_refusal(transactional) = %q", refusal)
	}

	if changed, err := b.ledger.ClearHygiene(ctx, "shop-1", number, "api"); err != nil || !changed {
		t.Fatalf("ClearHygiene = %v, %v", changed, err)
	}
	for _, inst := range []instance{a, b} {
		testkit.Eventually(t, 10*time.Second, func() error { return inst.set.Check("shop-1", number, core.CategoryMarketing, "") })
	}
	if changed, err := b.ledger.ClearHygiene(ctx, "shop-1", number, "api"); err != nil || changed {
		t.Fatalf("clearing again = %v, %v; want no change", changed, err)
	}
	marks, _ = a.ledger.HygieneMarks(ctx, "shop-1")
	if len(marks) != 1 || marks[0].Suppressed() || marks[0].ClearedBy != "api" || marks[0].ClearedAt.Before(marks[0].SuppressedAt) {
		t.Fatalf("marks after clear = %+v", marks)
	}
	if _, err := a.ledger.Erase(ctx, "shop-1", number); err != nil {
		t.Fatal(err)
	}
	if marks, _ = a.ledger.HygieneMarks(ctx, "shop-1"); len(marks) != 0 {
		t.Fatalf("marks after erase = %+v", marks)
	}
}

func sqlRefusal(t *testing.T, ctx context.Context, e env, inst instance, cat core.Category) string {
	t.Helper()
	key := inst.ledger.hash.Key("shop-1", number)
	var r *string
	if err := inst.ledger.pool.QueryRow(ctx, `SELECT consent_refusal($1, $2)`, key[:], int(cat)).Scan(&r); err != nil {
		t.Fatal(err)
	}
	if r == nil {
		return ""
	}
	return *r
}
