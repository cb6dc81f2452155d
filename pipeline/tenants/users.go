package tenants

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Role is what a dashboard user may do. Each role grants the API key
// scopes of Scopes: a user's calls from the dashboard pass the same
// checks as a key with those scopes.
type Role uint8

const (
	// RoleViewer reads messages, reports and campaigns.
	RoleViewer Role = iota + 1
	// RoleMarketer also sends, runs campaigns and manages contacts.
	RoleMarketer
	// RoleAdmin also manages API keys, senders and policy.
	RoleAdmin
	// RoleOwner can do what an admin can; the tenant's owners are the
	// users who manage its other users.
	RoleOwner
)

var roleNames = map[Role]string{RoleViewer: "viewer", RoleMarketer: "marketer", RoleAdmin: "admin", RoleOwner: "owner"}

func (r Role) String() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// ParseRole reads "owner", "admin", "marketer" or "viewer".
func ParseRole(s string) (Role, error) {
	for r, n := range roleNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return r, nil
		}
	}
	return 0, invalid("role", "want owner, admin, marketer or viewer")
}

// Scopes are the API key scopes r grants: owner and admin every scope,
// marketer send, read and contacts, viewer read.
func (r Role) Scopes() Scope {
	switch r {
	case RoleOwner, RoleAdmin:
		return ScopeSend | ScopeRead | ScopeContacts | ScopeAdmin
	case RoleMarketer:
		return ScopeSend | ScopeRead | ScopeContacts
	case RoleViewer:
		return ScopeRead
	}
	return 0
}

// User is a person who signs in to the dashboard of one tenant. The same
// email may be a user of several tenants, each with its own password.
type User struct {
	ID     string
	Tenant string
	// Email is lower-cased; it is the user's login.
	Email   string
	Role    Role
	Created time.Time
}

// NormalizeEmail trims and lower-cases an email address, the form users
// are kept and looked up in.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// checkEmail reports why e (normalized) cannot be a login.
func checkEmail(e string) error {
	local, domain, ok := strings.Cut(e, "@")
	switch {
	case e == "":
		return invalid("email", "required")
	case len(e) > 254 || !ok || local == "" || domain == "" || strings.ContainsAny(e, " \t\r\n<>,;\"") || strings.Contains(domain, "@"):
		return invalid("email", "not an email address")
	}
	return nil
}

func newUserID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "usr_" + hex.EncodeToString(b)
}

// CreateUser adds a dashboard user to tenant with password, which is
// kept only as its argon2id hash.
func (s *Store) CreateUser(ctx context.Context, tenant, email string, role Role, password string) (User, error) {
	u := User{ID: newUserID(), Tenant: tenant, Email: NormalizeEmail(email), Role: role}
	if err := checkEmail(u.Email); err != nil {
		return u, err
	}
	if _, ok := roleNames[role]; !ok {
		return u, invalid("role", "want owner, admin, marketer or viewer")
	}
	if err := checkPassword(password); err != nil {
		return u, err
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO users (id, tenant_id, email, role, password_hash)
		VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
		u.ID, tenant, u.Email, role.String(), hashPassword(password)).Scan(&u.Created)
	switch {
	case isForeignKey(err):
		return u, fmt.Errorf("tenant %s: %w", tenant, ErrNotFound)
	case isUnique(err):
		return u, fmt.Errorf("user %s of tenant %s: %w", u.Email, tenant, ErrExists)
	case err != nil:
		return u, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// Users lists tenant's users that are not disabled, by email.
func (s *Store) Users(ctx context.Context, tenant string) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, tenant_id, email, role, created_at FROM users
		WHERE tenant_id = $1 AND disabled_at IS NULL ORDER BY email`, tenant)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var role string
		if err := rows.Scan(&u.ID, &u.Tenant, &u.Email, &role, &u.Created); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		u.Role, _ = ParseRole(role)
		out = append(out, u)
	}
	return out, rows.Err()
}

// DisableUser stops a user signing in and ends their sessions at once.
func (s *Store) DisableUser(ctx context.Context, tenant, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE tenant_id = $1 AND id = $2`, tenant, id)
	if err != nil {
		return fmt.Errorf("disable user: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2`, tenant, id); err != nil {
		return fmt.Errorf("disable user: end sessions: %w", err)
	}
	return nil
}

// SetPassword replaces the password of tenant's user with email, clears
// its lock and failure count, and ends its sessions.
func (s *Store) SetPassword(ctx context.Context, tenant, email, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	email = NormalizeEmail(email)
	var id string
	err := s.pool.QueryRow(ctx, `UPDATE users SET password_hash = $3, failed_logins = 0, locked_until = NULL
		WHERE tenant_id = $1 AND email = $2 RETURNING id`, tenant, email, hashPassword(password)).Scan(&id)
	if errNoRows(err) {
		return fmt.Errorf("user %s of tenant %s: %w", email, tenant, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2`, tenant, id); err != nil {
		return fmt.Errorf("set password: end sessions: %w", err)
	}
	return nil
}
