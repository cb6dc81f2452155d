package tenants

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LoginPolicy bounds password guessing and session lifetimes. The zero
// value of a field takes its default.
type LoginPolicy struct {
	// MaxFailures is how many failed logins in a row lock an account
	// (default 5); LockFor how long (default 15 minutes). The count and
	// the lock live in PostgreSQL: every instance sees them.
	MaxFailures int
	LockFor     time.Duration
	// SessionTTL is how long a session lasts from sign-in (default 12
	// hours); IdleTimeout how long it lasts unused (default 1 hour).
	SessionTTL  time.Duration
	IdleTimeout time.Duration
	// Hashing is how many password checks run at once (default 2); more
	// wait. Each costs about 19 MiB and tens of milliseconds of CPU.
	Hashing int
}

func (p LoginPolicy) withDefaults() LoginPolicy {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if p.MaxFailures <= 0 {
		p.MaxFailures = 5
	}
	if p.Hashing <= 0 {
		p.Hashing = 2
	}
	def(&p.LockFor, 15*time.Minute)
	def(&p.SessionTTL, 12*time.Hour)
	def(&p.IdleTimeout, time.Hour)
	return p
}

// Logins signs dashboard users in with their passwords and keeps their
// sessions. Safe for concurrent use.
type Logins struct {
	s       *Store
	p       LoginPolicy
	hashing chan struct{}
}

// NewLogins returns Logins over s's users and sessions.
func NewLogins(s *Store, p LoginPolicy) *Logins {
	p = p.withDefaults()
	return &Logins{s: s, p: p, hashing: make(chan struct{}, p.Hashing)}
}

// Policy returns the policy in force, defaults filled in.
func (l *Logins) Policy() LoginPolicy { return l.p }

// candidate is a user an email may sign in as.
type candidate struct {
	User
	hash   string
	locked time.Time // zero unless locked now
}

// Authenticate returns the user email and password sign in as: in
// tenant, or when tenant is "" in the one tenant where the password
// matches (an *FieldError naming tenant_id when it matches in several).
// A wrong password counts towards the lock; ErrBadLogin does not say
// whether the email exists. A locked account gets a *LockedError.
func (l *Logins) Authenticate(ctx context.Context, tenant, email, password string) (User, error) {
	email = NormalizeEmail(email)
	switch {
	case email == "":
		return User{}, invalid("email", "required")
	case password == "":
		return User{}, invalid("password", "required")
	case len(password) > MaxPasswordLen:
		return User{}, ErrBadLogin
	}
	cands, err := l.candidates(ctx, tenant, email)
	if err != nil {
		return User{}, err
	}
	select {
	case l.hashing <- struct{}{}:
		defer func() { <-l.hashing }()
	case <-ctx.Done():
		return User{}, ctx.Err()
	}
	if len(cands) == 0 {
		verifyPassword(dummyHash, password)
		return User{}, ErrBadLogin
	}
	var matched []User
	var locked *LockedError
	for _, c := range cands {
		if !c.locked.IsZero() {
			locked = &LockedError{Until: c.locked}
			continue
		}
		ok, err := verifyPassword(c.hash, password)
		if err != nil {
			return User{}, fmt.Errorf("user %s: %w", c.ID, err)
		}
		if ok {
			matched = append(matched, c.User)
		}
	}
	switch {
	case len(matched) > 1:
		return User{}, invalid("tenant_id", "this email signs in to several tenants; name one")
	case len(matched) == 1:
		return matched[0], l.settle(ctx, matched[0], true)
	}
	for _, c := range cands {
		if c.locked.IsZero() {
			if err := l.settle(ctx, c.User, false); err != nil {
				return User{}, err
			}
		}
	}
	if locked != nil && len(cands) == 1 {
		return User{}, locked
	}
	return User{}, ErrBadLogin
}

// candidates are the enabled users with email, in tenant unless it is "".
func (l *Logins) candidates(ctx context.Context, tenant, email string) ([]candidate, error) {
	rows, err := l.s.pool.Query(ctx, `SELECT id, tenant_id, email, role, created_at, password_hash,
			CASE WHEN locked_until > now() THEN locked_until END
		FROM users WHERE email = $1 AND ($2 = '' OR tenant_id = $2) AND disabled_at IS NULL
		ORDER BY tenant_id`, email, tenant)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		var role string
		var locked *time.Time
		if err := rows.Scan(&c.ID, &c.Tenant, &c.Email, &role, &c.Created, &c.hash, &locked); err != nil {
			return nil, fmt.Errorf("login: %w", err)
		}
		c.Role, _ = ParseRole(role)
		if locked != nil {
			c.locked = *locked
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// settle records a login: a success clears the failure count, a failure
// adds one and, at MaxFailures, locks the account for LockFor and
// starts the count again.
func (l *Logins) settle(ctx context.Context, u User, ok bool) error {
	sql := `UPDATE users SET failed_logins = 0 WHERE tenant_id = $1 AND id = $2`
	args := []any{u.Tenant, u.ID}
	if !ok {
		sql = `UPDATE users SET
			locked_until  = CASE WHEN failed_logins + 1 >= $3 THEN now() + make_interval(secs => $4) ELSE locked_until END,
			failed_logins = CASE WHEN failed_logins + 1 >= $3 THEN 0 ELSE failed_logins + 1 END
			WHERE tenant_id = $1 AND id = $2`
		args = append(args, l.p.MaxFailures, l.p.LockFor.Seconds())
	}
	if _, err := l.s.pool.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("login: record attempt: %w", err)
	}
	return nil
}

// errNoRows reports whether err is pgx's "no rows".
func errNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
