package tenants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// sessionPrefix starts every session token, so that one found in a log
// or a paste is recognizable.
const sessionPrefix = "tses_"

// Session is a signed-in dashboard user. Its token is not kept: only
// its SHA-256.
type Session struct {
	// ID names the session in lists and logs; it is not the token.
	ID      string
	User    User
	Created time.Time
	Expires time.Time
}

// seenEvery is how stale a session's last_seen_at may get before a
// lookup refreshes it: lookups write at most once a minute per session.
const seenEvery = time.Minute

// CreateSession starts a session for u and returns its token, which
// only the browser keeps. It also drops u's sessions that have ended.
func (l *Logins) CreateSession(ctx context.Context, u User) (string, Session, error) {
	b := make([]byte, 32)
	rand.Read(b)
	token := sessionPrefix + base64.RawURLEncoding.EncodeToString(b)
	id := make([]byte, 8)
	rand.Read(id)
	s := Session{ID: "ses_" + hex.EncodeToString(id), User: u}
	h := sha256.Sum256([]byte(token))
	err := l.s.pool.QueryRow(ctx, `INSERT INTO sessions (hash, id, tenant_id, user_id, expires_at)
		VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING created_at, expires_at`,
		h[:], s.ID, u.Tenant, u.ID, l.p.SessionTTL.Seconds()).Scan(&s.Created, &s.Expires)
	if isForeignKey(err) {
		return "", s, fmt.Errorf("user %s: %w", u.ID, ErrNotFound)
	}
	if err != nil {
		return "", s, fmt.Errorf("create session: %w", err)
	}
	if _, err := l.s.pool.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2
		AND (expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $3))`,
		u.Tenant, u.ID, l.p.IdleTimeout.Seconds()); err != nil {
		return "", s, fmt.Errorf("create session: drop ended ones: %w", err)
	}
	return token, s, nil
}

// tokenHash returns the hash a token is kept under, false for a string
// that is no session token at all.
func tokenHash(token string) ([]byte, bool) {
	raw, ok := strings.CutPrefix(token, sessionPrefix)
	if !ok || base64.RawURLEncoding.DecodedLen(len(raw)) != 32 {
		return nil, false
	}
	h := sha256.Sum256([]byte(token))
	return h[:], true
}

// Session returns the live session of token, with its user as they are
// now (a changed role applies at once), and marks it used. ErrNoSession
// when it has ended, idled out, or its user was disabled.
func (l *Logins) Session(ctx context.Context, token string) (Session, error) {
	h, ok := tokenHash(token)
	if !ok {
		return Session{}, ErrNoSession
	}
	var s Session
	var role string
	var seen time.Time
	err := l.s.pool.QueryRow(ctx, `SELECT s.id, s.created_at, s.expires_at, s.last_seen_at,
			u.id, u.tenant_id, u.email, u.role, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
		WHERE s.hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2)
			AND u.disabled_at IS NULL`, h, l.p.IdleTimeout.Seconds()).
		Scan(&s.ID, &s.Created, &s.Expires, &seen, &s.User.ID, &s.User.Tenant, &s.User.Email, &role, &s.User.Created)
	if errNoRows(err) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	s.User.Role, _ = ParseRole(role)
	if time.Since(seen) > seenEvery {
		if _, err := l.s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now() WHERE hash = $1`, h); err != nil {
			return Session{}, fmt.Errorf("session: mark used: %w", err)
		}
	}
	return s, nil
}

// EndSession ends token's session (logout). Ending an ended or unknown
// session is harmless.
func (l *Logins) EndSession(ctx context.Context, token string) error {
	h, ok := tokenHash(token)
	if !ok {
		return nil
	}
	if _, err := l.s.pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, h); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndUserSessions ends every session of a user of tenant (logout
// everywhere) and returns how many there were.
func (l *Logins) EndUserSessions(ctx context.Context, tenant, userID string) (int64, error) {
	tag, err := l.s.pool.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2`, tenant, userID)
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// PruneSessions deletes the sessions that have ended, of every tenant,
// and returns how many.
func (l *Logins) PruneSessions(ctx context.Context) (int64, error) {
	tag, err := l.s.pool.Exec(ctx, `DELETE FROM sessions
		WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $1)`, l.p.IdleTimeout.Seconds())
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
