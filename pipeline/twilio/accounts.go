package twilio

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	tw "github.com/ternsms/tern/core/twilio"
)

// Account is a Twilio-style account: an account SID and auth token that
// act for one tenant.
type Account struct {
	SID    string
	Tenant string
	// VerifyServiceSID is the Verify service the account's
	// /v2/Services/{ServiceSid} calls name; MessagingServiceSID is echoed
	// on its messages that name it.
	VerifyServiceSID    string
	MessagingServiceSID string
	// SMSURL gets the tenant's inbound messages as Twilio posts them;
	// empty is none.
	SMSURL  string
	Name    string
	Created time.Time
	// Revoked is zero while the account works.
	Revoked time.Time
	hash    []byte
}

// Tokens derives accounts' auth tokens from a secret every instance
// shares: 32 hex digits of HMAC-SHA-256 under a subkey of the secret
// over the account SID. The token is never stored (only its SHA-256);
// callbacks and inbound posts are signed with it, so it must be
// derivable. Another secret changes every token.
type Tokens struct{ key []byte }

// NewTokens returns the Tokens of secret.
func NewTokens(secret []byte) Tokens {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tern twilio auth token v1"))
	return Tokens{key: m.Sum(nil)}
}

// Token returns account sid's auth token.
func (t Tokens) Token(sid string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(sid))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// CheckSMSURL reports why u cannot be an SMS URL: an absolute http or
// https URL.
func CheckSMSURL(u string) error {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return errors.New("sms_url: not an absolute http or https URL")
	}
	return nil
}

// CreateAccount makes an account for tenant (which the caller checked
// exists) and returns it with its auth token, shown once.
func (s *Store) CreateAccount(ctx context.Context, tokens Tokens, tenant, name, smsURL string) (Account, string, error) {
	if err := CheckSMSURL(smsURL); err != nil {
		return Account{}, "", err
	}
	a := Account{SID: tw.NewSID(tw.PrefixAccount), Tenant: tenant, VerifyServiceSID: tw.NewSID(tw.PrefixVerifyService),
		MessagingServiceSID: tw.NewSID(tw.PrefixMessagingService), SMSURL: smsURL, Name: name}
	token := tokens.Token(a.SID)
	sum := sha256.Sum256([]byte(token))
	a.hash = sum[:]
	err := s.pool.QueryRow(ctx, `INSERT INTO twilio_accounts (sid, tenant_id, token_hash, verify_service_sid, messaging_service_sid, sms_url, name)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
		a.SID, a.Tenant, a.hash, a.VerifyServiceSID, a.MessagingServiceSID, a.SMSURL, a.Name).Scan(&a.Created)
	if err != nil {
		return Account{}, "", fmt.Errorf("create account: %w", err)
	}
	return a, token, nil
}

const accountColumns = `sid, tenant_id, token_hash, verify_service_sid, messaging_service_sid, sms_url, name, created_at, revoked_at`

func scanAccount(row pgx.Row) (Account, error) {
	var a Account
	var revoked *time.Time
	err := row.Scan(&a.SID, &a.Tenant, &a.hash, &a.VerifyServiceSID, &a.MessagingServiceSID, &a.SMSURL, &a.Name, &a.Created, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("account: %w", err)
	}
	if revoked != nil {
		a.Revoked = *revoked
	}
	return a, nil
}

// Accounts lists tenant's accounts, revoked ones too, oldest first.
func (s *Store) Accounts(ctx context.Context, tenant string) ([]Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM twilio_accounts WHERE tenant_id = $1 ORDER BY created_at, sid`, tenant)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RevokeAccount revokes account sid; its token stops working on every
// instance within AuthCacheTTL. Revoking again is harmless.
func (s *Store) RevokeAccount(ctx context.Context, sid string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE twilio_accounts SET revoked_at = coalesce(revoked_at, now()) WHERE sid = $1`, sid)
	if err != nil {
		return fmt.Errorf("revoke account: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("account %s: %w", sid, ErrNotFound)
	}
	return nil
}

// SetSMSURL sets the URL account sid's inbound messages are posted to;
// empty stops them.
func (s *Store) SetSMSURL(ctx context.Context, sid, smsURL string) error {
	if err := CheckSMSURL(smsURL); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE twilio_accounts SET sms_url = $2 WHERE sid = $1`, sid, smsURL)
	if err != nil {
		return fmt.Errorf("set sms url: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("account %s: %w", sid, ErrNotFound)
	}
	return nil
}

// AuthCacheTTL is how long an instance trusts an account it read: a
// revoked account stops working within it.
const AuthCacheTTL = time.Second

type cachedAccount struct {
	a   Account
	at  time.Time
	err error
}

// Authenticate returns the working account sid whose token is token
// (compared by hash in constant time), or ErrAuth.
func (s *Store) Authenticate(ctx context.Context, sid, token string) (Account, error) {
	if !tw.ValidSID(tw.PrefixAccount, sid) {
		return Account{}, ErrAuth
	}
	a, err := s.account(ctx, sid)
	if errors.Is(err, ErrNotFound) {
		return Account{}, ErrAuth
	}
	if err != nil {
		return Account{}, err
	}
	sum := sha256.Sum256([]byte(token))
	if !a.Revoked.IsZero() || subtle.ConstantTimeCompare(sum[:], a.hash) != 1 {
		return Account{}, ErrAuth
	}
	return a, nil
}

// account reads account sid, through a cache of AuthCacheTTL.
func (s *Store) account(ctx context.Context, sid string) (Account, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[sid]
	s.mu.Unlock()
	if ok && now.Sub(c.at) < AuthCacheTTL {
		return c.a, c.err
	}
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM twilio_accounts WHERE sid = $1`, sid))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return a, err
	}
	s.mu.Lock()
	if len(s.cache) > 10_000 {
		clear(s.cache)
	}
	s.cache[sid] = cachedAccount{a: a, at: now, err: err}
	s.mu.Unlock()
	return a, err
}

// inboundAccount returns the oldest working account of tenant with an
// SMS URL, or ErrNotFound.
func (s *Store) inboundAccount(ctx context.Context, tenant string) (Account, error) {
	return scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM twilio_accounts
		WHERE tenant_id = $1 AND revoked_at IS NULL AND sms_url <> '' ORDER BY created_at, sid LIMIT 1`, tenant))
}
