package verify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/verify"
)

// CheckRequest is a code to check against a verification, named by ID or
// by To (the number's latest verification).
type CheckRequest struct {
	Tenant string
	ID     string
	To     string
	Code   string
}

// Checked is a check's outcome and the verification after it.
type Checked struct {
	Outcome verify.Status
	Verification
}

// Check checks r.Code (core/verify.Check says what a check does). A
// verification approved already is refused with core/verify.ErrApproved;
// none found is ErrNotFound.
func (s *Service) Check(ctx context.Context, r CheckRequest) (Checked, error) {
	if err := verify.CheckCode(r.Code); err != nil {
		return Checked{}, err
	}
	p, err := s.Policy(ctx, r.Tenant)
	if err != nil {
		return Checked{}, err
	}
	q, args, err := s.lookup(r.Tenant, r.ID, r.To)
	if err != nil {
		return Checked{}, err
	}
	now := s.now()
	var out Checked
	err = pgx.BeginFunc(ctx, s.store.pool, func(tx pgx.Tx) error {
		v, err := scanVerification(tx.QueryRow(ctx, q+` FOR UPDATE`, args...))
		if err != nil {
			return err
		}
		matched := s.keys.Match(v.salt, r.Code, v.hash)
		st, outcome, err := verify.Check(verify.State{Status: v.Status, Checks: v.Checks, Expires: v.Expires}, p.MaxChecks, now, matched)
		if err != nil {
			return err
		}
		out = Checked{Outcome: outcome, Verification: v}
		if st.Status == v.Status && st.Checks == v.Checks {
			return nil
		}
		out.Status, out.Checks, out.Updated = st.Status, st.Checks, now
		if st.Status == verify.StatusApproved {
			out.Approved = now
		}
		return s.recordCheck(ctx, tx, out.Verification)
	})
	if err != nil {
		return Checked{}, err
	}
	s.metrics.checked(outcome(out))
	ev := event(out.Verification, "checked", outcome(out), now)
	if out.Outcome == verify.StatusApproved {
		ev.TimeToVerifyMs = out.Approved.Sub(out.Created).Milliseconds()
	}
	s.records.emit(ev)
	return out, nil
}

func outcome(c Checked) string { return c.Outcome.String() }

// recordCheck writes v's state after a check, and counts an approval in
// the minute v started for the pumping guard's conversion rate.
func (s *Service) recordCheck(ctx context.Context, tx pgx.Tx, v Verification) error {
	var approved *time.Time
	if !v.Approved.IsZero() {
		approved = &v.Approved
	}
	if _, err := tx.Exec(ctx, `UPDATE verifications SET status = $2, checks = $3, updated_at = $4, approved_at = $5 WHERE id = $1`,
		v.ID, int16(v.Status), int16(v.Checks), v.Updated, approved); err != nil {
		return fmt.Errorf("check verification: %w", err)
	}
	if v.Status != verify.StatusApproved {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE verify_prefix_counts SET approved = approved + 1 WHERE tenant_id = $1 AND prefix = $2 AND bucket = $3`,
		v.Tenant, v.Prefix, bucket(v.Created))
	if err != nil {
		return fmt.Errorf("check verification: %w", err)
	}
	return nil
}

// lookup returns the query (without FOR UPDATE) finding tenant's
// verification id, or the latest of number to when id is empty.
func (s *Service) lookup(tenant, id, to string) (string, []any, error) {
	q := `SELECT ` + verificationColumns + ` FROM verifications WHERE tenant_id = $1 AND `
	switch {
	case id != "":
		if !verify.ValidID(id) {
			return "", nil, &verify.FieldError{Field: "id", Reason: "not a verification id (VE and 32 hex digits)"}
		}
		return q + `id = $2`, []any{tenant, id}, nil
	case strings.TrimSpace(to) != "":
		n, err := s.phones.Parse(to, "")
		if err != nil {
			return "", nil, &verify.FieldError{Field: "to", Reason: "not a valid phone number in E.164 form (+14155552671)"}
		}
		return q + `recipient = $2 ORDER BY created_at DESC LIMIT 1`, []any{tenant, n.E164}, nil
	}
	return "", nil, &verify.FieldError{Field: "id", Reason: "required (or to)"}
}

// Get returns tenant's verification id.
func (s *Service) Get(ctx context.Context, tenant, id string) (Verification, error) {
	q, args, err := s.lookup(tenant, id, "")
	if err != nil {
		return Verification{}, err
	}
	v, err := scanVerification(s.store.pool.QueryRow(ctx, q, args...))
	return v.asOf(s.now()), err
}

// Latest returns the latest verification of number to, as Check by
// number would find it.
func (s *Service) Latest(ctx context.Context, tenant, to string) (Verification, error) {
	q, args, err := s.lookup(tenant, "", to)
	if err != nil {
		return Verification{}, err
	}
	v, err := scanVerification(s.store.pool.QueryRow(ctx, q, args...))
	return v.asOf(s.now()), err
}

// Cancel cancels tenant's pending verification id; canceling a canceled
// one again is harmless. One that ended otherwise is ErrNotPending.
func (s *Service) Cancel(ctx context.Context, tenant, id string) (Verification, error) {
	q, args, err := s.lookup(tenant, id, "")
	if err != nil {
		return Verification{}, err
	}
	now := s.now()
	var v Verification
	err = pgx.BeginFunc(ctx, s.store.pool, func(tx pgx.Tx) error {
		if v, err = scanVerification(tx.QueryRow(ctx, q+` FOR UPDATE`, args...)); err != nil {
			return err
		}
		v = v.asOf(now)
		if !verify.CanCancel(v.Status) {
			return fmt.Errorf("id: %w: %s", ErrNotPending, v.Status)
		}
		if v.Status == verify.StatusCanceled {
			return nil
		}
		v.Status, v.Updated = verify.StatusCanceled, now
		_, err := tx.Exec(ctx, `UPDATE verifications SET status = $2, updated_at = $3 WHERE id = $1`, v.ID, int16(v.Status), now)
		return err
	})
	if err != nil {
		return Verification{}, err
	}
	s.records.emit(event(v, "canceled", "", now))
	return v, nil
}
