package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/verify"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/tenants"
)

// ChannelSMS is the one channel codes go on.
const ChannelSMS = "sms"

// OriginPrefix starts the Origin of every message carrying a code:
// "verify/" and the verification id.
const OriginPrefix = "verify/"

// StartRequest asks for a code to be sent to a number.
type StartRequest struct {
	Tenant string
	// To is the number, E.164.
	To string
	// Channel is "sms" or empty.
	Channel string
	// Locale and CodeLength default to the policy's.
	Locale     string
	CodeLength int
}

// Started is a verification whose code was just sent.
type Started struct {
	Verification
	// Resent: the code of a pending verification was sent again.
	Resent bool
}

// start is a StartRequest once checked, with what its transaction needs.
type start struct {
	StartRequest
	number   phone.Number
	prefix   string
	language string
	length   int
	policy   verify.Policy
	view     *tenants.View
	now      time.Time
}

// Start sends a code to r.To: the code of its pending verification if it
// has one (Resent), else a new verification's. It refuses, without
// sending or counting anything, a country the tenant has not enabled
// (core/verify.ErrCountryNotEnabled), a blocked prefix (ErrPrefixBlocked,
// also when this start is the one that makes the guard block it), and a
// number over its sends or within its cooldown (a *WaitError).
func (s *Service) Start(ctx context.Context, r StartRequest) (Started, error) {
	st, err := s.checkStart(ctx, r)
	if err != nil {
		return Started{}, err
	}
	if !st.policy.Allows(st.number.Region, ownCountries(st.view)) {
		return Started{}, s.refuse(st, "country_not_enabled", verify.ErrCountryNotEnabled)
	}
	var out Started
	var verdict verify.Verdict
	err = pgx.BeginFunc(ctx, s.store.pool, func(tx pgx.Tx) error {
		var err error
		out, verdict, err = s.startTx(ctx, tx, st)
		return err
	})
	switch {
	case err != nil && isRefusal(err):
		return Started{}, s.refuse(st, refusalReason(err), err)
	case err != nil:
		return Started{}, err
	case verdict != verify.VerdictNone:
		s.blocked(st, verdict)
		return Started{}, s.refuse(st, "prefix_blocked", verify.ErrPrefixBlocked)
	}
	kind := "started"
	if out.Resent {
		kind = "resent"
	}
	s.metrics.sent(kind)
	s.records.emit(event(out.Verification, kind, "", st.now))
	return out, nil
}

// checkStart validates r and gathers what a start needs.
func (s *Service) checkStart(ctx context.Context, r StartRequest) (start, error) {
	st := start{StartRequest: r, now: s.now()}
	v, ok := s.tenants.Tenant(r.Tenant)
	if !ok {
		return st, ErrUnknownTenant
	}
	p, err := s.Policy(ctx, r.Tenant)
	if err != nil {
		return st, err
	}
	st.view, st.policy = v, p
	if strings.TrimSpace(r.To) == "" {
		return st, &verify.FieldError{Field: "to", Reason: "required"}
	}
	if st.number, err = s.phones.Parse(r.To, ""); err != nil {
		return st, &verify.FieldError{Field: "to", Reason: "not a valid phone number in E.164 form (+14155552671)"}
	}
	if c := strings.ToLower(r.Channel); c != "" && c != ChannelSMS {
		return st, &verify.FieldError{Field: "channel", Reason: "only sms is supported"}
	}
	locale := r.Locale
	if locale == "" {
		locale = p.Locale
	}
	if st.language, ok = verify.Language(locale); !ok {
		return st, &verify.FieldError{Field: "locale", Reason: "not supported; one of " + strings.Join(verify.Locales(), ", ")}
	}
	st.length = p.CodeLength
	if r.CodeLength != 0 {
		if r.CodeLength < verify.MinCodeLength || r.CodeLength > verify.MaxCodeLength {
			return st, &verify.FieldError{Field: "code_length", Reason: "4 to 10"}
		}
		st.length = r.CodeLength
	}
	st.prefix = verify.Prefix(st.number, p.Pumping.PrefixDigits)
	return st, nil
}

// startTx runs a start in tx: limits, then a resend or a new
// verification (after the pumping verdict), then the send. A verdict
// other than none means the prefix was blocked in tx and nothing sent.
func (s *Service) startTx(ctx context.Context, tx pgx.Tx, st start) (Started, verify.Verdict, error) {
	to := st.number.E164
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, st.Tenant+"/"+to); err != nil {
		return Started{}, "", fmt.Errorf("start verification: %w", err)
	}
	if err := s.limits(ctx, tx, st); err != nil {
		return Started{}, "", err
	}
	v, err := scanVerification(tx.QueryRow(ctx, `SELECT `+verificationColumns+` FROM verifications
		WHERE tenant_id = $1 AND recipient = $2 AND status = $3 AND expires_at > $4
		ORDER BY created_at DESC LIMIT 1 FOR UPDATE`, st.Tenant, to, int16(verify.StatusPending), st.now))
	resent := err == nil
	switch {
	case errors.Is(err, ErrNotFound):
		verdict, err := s.judge(ctx, tx, st)
		if err != nil || verdict != verify.VerdictNone {
			return Started{}, verdict, err
		}
		if v, err = s.create(ctx, tx, st); err != nil {
			return Started{}, "", err
		}
	case err != nil:
		return Started{}, "", err
	}
	v, err = s.send(ctx, tx, st, v)
	return Started{Verification: v, Resent: resent}, "", err
}

// limits refuses a start to a blocked prefix, or to a number over its
// sends in the window or within its cooldown.
func (s *Service) limits(ctx context.Context, tx pgx.Tx, st start) error {
	var blocked bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM verify_blocks WHERE tenant_id = $1 AND prefix = $2 AND until > $3)`,
		st.Tenant, st.prefix, st.now).Scan(&blocked); err != nil {
		return fmt.Errorf("start verification: %w", err)
	}
	if blocked {
		return verify.ErrPrefixBlocked
	}
	window, cooldown := time.Duration(st.policy.SendWindow), time.Duration(*st.policy.Cooldown)
	var n int
	var first, last *time.Time
	if err := tx.QueryRow(ctx, `SELECT count(*), min(sent_at), max(sent_at) FROM verify_sends
		WHERE tenant_id = $1 AND recipient = $2 AND sent_at > $3`, st.Tenant, st.number.E164, st.now.Add(-window)).Scan(&n, &first, &last); err != nil {
		return fmt.Errorf("start verification: %w", err)
	}
	if n >= st.policy.MaxSends {
		return &WaitError{Err: verify.ErrMaxSends, Wait: first.Add(window).Sub(st.now)}
	}
	if last != nil && st.now.Before(last.Add(cooldown)) {
		return &WaitError{Err: verify.ErrCooldown, Wait: last.Add(cooldown).Sub(st.now)}
	}
	return nil
}

// create inserts a new pending verification and counts its start.
func (s *Service) create(ctx context.Context, tx pgx.Tx, st start) (Verification, error) {
	v := Verification{ID: verify.NewID(), Tenant: st.Tenant, To: st.number.E164, Region: st.number.Region, Prefix: st.prefix,
		Channel: ChannelSMS, Locale: st.language, CodeLength: st.length, Status: verify.StatusPending,
		Created: st.now, Expires: st.now.Add(time.Duration(st.policy.Expiry)), Updated: st.now, salt: verify.NewSalt()}
	v.hash = s.keys.Hash(v.salt, s.keys.Code(v.Tenant, v.ID, v.CodeLength))
	_, err := tx.Exec(ctx, `INSERT INTO verifications (id, tenant_id, recipient, region, prefix, channel, locale, code_length,
		salt, code_hash, status, created_at, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12)`,
		v.ID, v.Tenant, v.To, v.Region, v.Prefix, v.Channel, v.Locale, int16(v.CodeLength), v.salt, v.hash, int16(v.Status), v.Created, v.Expires)
	if err != nil {
		return v, fmt.Errorf("start verification: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO verify_prefix_counts (tenant_id, prefix, bucket, started) VALUES ($1, $2, $3, 1)
		ON CONFLICT (tenant_id, prefix, bucket) DO UPDATE SET started = verify_prefix_counts.started + 1`,
		v.Tenant, v.Prefix, bucket(v.Created)); err != nil {
		return v, fmt.Errorf("start verification: %w", err)
	}
	return v, nil
}

// bucket is the minute a start counts in.
func bucket(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// send queues v's code through the Intake and records the send. The
// message's validity is what is left of v's.
func (s *Service) send(ctx context.Context, tx pgx.Tx, st start, v Verification) (Verification, error) {
	validity := v.Expires.Sub(st.now)
	code := s.keys.Code(v.Tenant, v.ID, v.CodeLength)
	body := verify.Render(verify.Message{Language: st.language, Brand: brand(st.policy, st.view), Code: code, Validity: validity,
		Domain: st.policy.Domain, AppHash: st.policy.AppHash})
	req := pipeline.Request{TenantID: v.Tenant, To: v.To, From: st.policy.From, Body: body, Category: core.CategoryOTP,
		IdempotencyKey: fmt.Sprintf("verify:%s:%d", v.ID, v.Sends+1), Origin: OriginPrefix + v.ID, Validity: validity,
		Coding: gsm.Options{Languages: verify.Shift(st.language)}}
	var out [1]pipeline.Result
	if err := s.intake.Send(ctx, []pipeline.Request{req}, out[:]); err != nil {
		return v, err
	}
	if out[0].Err != nil {
		return v, out[0].Err
	}
	v.Sends++
	v.MessageID, v.Locale, v.Updated = out[0].ID, st.language, st.now
	if _, err := tx.Exec(ctx, `INSERT INTO verify_sends (tenant_id, recipient, verification_id, sent_at, message_id)
		VALUES ($1, $2, $3, $4, $5)`, v.Tenant, v.To, v.ID, st.now, v.MessageID); err != nil {
		return v, fmt.Errorf("start verification: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE verifications SET sends = $2, message_id = $3, locale = $4, updated_at = $5 WHERE id = $1`,
		v.ID, int16(v.Sends), v.MessageID, v.Locale, st.now); err != nil {
		return v, fmt.Errorf("start verification: %w", err)
	}
	return v, nil
}

func isRefusal(err error) bool {
	return errors.Is(err, verify.ErrPrefixBlocked) || errors.Is(err, verify.ErrMaxSends) || errors.Is(err, verify.ErrCooldown)
}

func refusalReason(err error) string {
	switch {
	case errors.Is(err, verify.ErrPrefixBlocked):
		return "prefix_blocked"
	case errors.Is(err, verify.ErrMaxSends):
		return "max_sends"
	}
	return "cooldown"
}
