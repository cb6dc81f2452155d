package tenants

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// usersFixture is a store with tenants shop-1 and shop-2.
func usersFixture(t *testing.T) (context.Context, *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	s := openStore(t, ctx, "")
	for _, id := range []string{"shop-1", "shop-2"} {
		if _, err := s.CreateTenant(ctx, Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	return ctx, s
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := hashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if h == hashPassword("correct horse battery") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tt := range []struct {
		hash, pw string
		want     bool
		err      bool
	}{
		{h, "correct horse battery", true, false},
		{h, "correct horse batterY", false, false},
		{"$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA", "x", false, true},
		{"$2a$10$bcrypt", "x", false, true},
		{"", "x", false, true},
	} {
		got, err := verifyPassword(tt.hash, tt.pw)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("verifyPassword(%.20q, %q) = %v, %v", tt.hash, tt.pw, got, err)
		}
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in     string
		role   Role
		scopes string
	}{
		{"owner", RoleOwner, "send,read,contacts,admin"},
		{"Admin", RoleAdmin, "send,read,contacts,admin"},
		{" marketer", RoleMarketer, "send,read,contacts"},
		{"viewer", RoleViewer, "read"},
	} {
		r, err := ParseRole(tt.in)
		if err != nil || r != tt.role || r.Scopes().String() != tt.scopes {
			t.Errorf("ParseRole(%q) = %v (%v), %v", tt.in, r, r.Scopes(), err)
		}
	}
	if _, err := ParseRole("root"); !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "role: ") {
		t.Errorf("ParseRole(root) = %v", err)
	}
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	ctx, s := usersFixture(t)
	u, err := s.CreateUser(ctx, "shop-1", " Ana@Shop.Example ", RoleMarketer, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ana@shop.example" || u.Tenant != "shop-1" || !strings.HasPrefix(u.ID, "usr_") {
		t.Fatalf("user %+v", u)
	}
	for _, tt := range []struct {
		name, tenant, email, password string
		role                          Role
		want                          error
		field                         string
	}{
		{"duplicate", "shop-1", "ANA@shop.example", "a long enough password", RoleViewer, ErrExists, ""},
		{"unknown tenant", "shop-9", "bo@shop.example", "a long enough password", RoleViewer, ErrNotFound, ""},
		{"no email", "shop-1", " ", "a long enough password", RoleViewer, ErrInvalid, "email"},
		{"not an email", "shop-1", "bo at shop", "a long enough password", RoleViewer, ErrInvalid, "email"},
		{"short password", "shop-1", "bo@shop.example", "short", RoleViewer, ErrInvalid, "password"},
		{"long password", "shop-1", "bo@shop.example", strings.Repeat("x", MaxPasswordLen+1), RoleViewer, ErrInvalid, "password"},
		{"no role", "shop-1", "bo@shop.example", "a long enough password", 0, ErrInvalid, "role"},
	} {
		_, err := s.CreateUser(ctx, tt.tenant, tt.email, tt.role, tt.password)
		var fe *FieldError
		if !errors.Is(err, tt.want) || tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
			t.Errorf("%s: CreateUser = %v, want %v (field %q)", tt.name, err, tt.want, tt.field)
		}
	}
	// The same email may be a user of another tenant.
	if _, err := s.CreateUser(ctx, "shop-2", "ana@shop.example", RoleViewer, "another long password"); err != nil {
		t.Fatal(err)
	}
	list, err := s.Users(ctx, "shop-1")
	if err != nil || len(list) != 1 || list[0].ID != u.ID || list[0].Role != RoleMarketer {
		t.Fatalf("Users(shop-1) = %+v, %v", list, err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx, s := usersFixture(t)
	l := NewLogins(s, LoginPolicy{})
	ana1, _ := s.CreateUser(ctx, "shop-1", "ana@shop.example", RoleOwner, "password of shop one")
	ana2, _ := s.CreateUser(ctx, "shop-2", "ana@shop.example", RoleViewer, "password of shop two")
	s.CreateUser(ctx, "shop-1", "bo@shop.example", RoleViewer, "the same password")
	s.CreateUser(ctx, "shop-2", "bo@shop.example", RoleViewer, "the same password")
	for _, tt := range []struct {
		name, tenant, email, password string
		want                          string // user id
		err                           error
		field                         string
	}{
		{"password picks the tenant", "", "ANA@shop.example", "password of shop one", ana1.ID, nil, ""},
		{"other tenant's password", "", "ana@shop.example", "password of shop two", ana2.ID, nil, ""},
		{"named tenant", "shop-2", "ana@shop.example", "password of shop two", ana2.ID, nil, ""},
		{"named tenant, other's password", "shop-2", "ana@shop.example", "password of shop one", "", ErrBadLogin, ""},
		{"wrong password", "", "ana@shop.example", "password of shop three", "", ErrBadLogin, ""},
		{"unknown email", "", "cy@shop.example", "password of shop one", "", ErrBadLogin, ""},
		{"ambiguous", "", "bo@shop.example", "the same password", "", ErrInvalid, "tenant_id"},
		{"no email", "", "", "x", "", ErrInvalid, "email"},
		{"no password", "", "ana@shop.example", "", "", ErrInvalid, "password"},
		{"huge password", "", "ana@shop.example", strings.Repeat("x", 10000), "", ErrBadLogin, ""},
	} {
		u, err := l.Authenticate(ctx, tt.tenant, tt.email, tt.password)
		var fe *FieldError
		if u.ID != tt.want || !errors.Is(err, tt.err) || tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
			t.Errorf("%s: Authenticate = %q, %v; want %q, %v (field %q)", tt.name, u.ID, err, tt.want, tt.err, tt.field)
		}
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	ctx, s := usersFixture(t)
	l := NewLogins(s, LoginPolicy{MaxFailures: 3, LockFor: time.Hour})
	u, _ := s.CreateUser(ctx, "shop-1", "ana@shop.example", RoleOwner, "the right password")
	attempt := func(pw string) error {
		_, err := l.Authenticate(ctx, "", "ana@shop.example", pw)
		return err
	}
	// A success clears the count: two failures, a success, two more do
	// not lock.
	for _, pw := range []string{"wrong one", "wrong two", "the right password", "wrong three", "wrong four"} {
		if err := attempt(pw); err != nil && !errors.Is(err, ErrBadLogin) {
			t.Fatalf("attempt %q: %v", pw, err)
		}
	}
	if err := attempt("the right password"); err != nil {
		t.Fatalf("after 2+2 failures: %v", err)
	}
	for range 3 {
		attempt("wrong again")
	}
	err := attempt("the right password")
	var le *LockedError
	if !errors.As(err, &le) || time.Until(le.Until) < 50*time.Minute || !strings.Contains(err.Error(), "try again after") {
		t.Fatalf("after 3 failures: %v, want a lock of an hour", err)
	}
	// The lock ends with its time.
	if _, err := s.pool.Exec(ctx, `UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := attempt("the right password"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ctx, s := usersFixture(t)
	l := NewLogins(s, LoginPolicy{})
	u, _ := s.CreateUser(ctx, "shop-1", "ana@shop.example", RoleMarketer, "the right password")
	tok1, s1, err := l.CreateSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	tok2, _, _ := l.CreateSession(ctx, u)
	if !strings.HasPrefix(tok1, "tses_") || tok1 == tok2 || time.Until(s1.Expires) < 11*time.Hour {
		t.Fatalf("session %q %+v", tok1, s1)
	}
	got, err := l.Session(ctx, tok1)
	if err != nil || got.ID != s1.ID || got.User.ID != u.ID || got.User.Role != RoleMarketer {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	var stored int
	s.pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE hash = $1::bytea OR id = $1`, []byte(tok1)).Scan(&stored)
	if stored != 0 {
		t.Fatal("the token itself is stored")
	}
	// A role changed applies to live sessions.
	s.pool.Exec(ctx, `UPDATE users SET role = 'viewer' WHERE id = $1`, u.ID)
	if got, _ := l.Session(ctx, tok1); got.User.Role != RoleViewer {
		t.Fatalf("role after change: %v", got.User.Role)
	}
	if err := l.EndSession(ctx, tok1); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{tok1, "", "tses_short", "Bearer x"} {
		if _, err := l.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
			t.Errorf("Session(%.12q) = %v, want ErrNoSession", tok, err)
		}
	}
	if _, err := l.Session(ctx, tok2); err != nil {
		t.Fatalf("the other session ended with the first: %v", err)
	}
	tok3, _, _ := l.CreateSession(ctx, u)
	if n, err := l.EndUserSessions(ctx, "shop-1", u.ID); err != nil || n != 2 {
		t.Fatalf("EndUserSessions = %d, %v; want 2", n, err)
	}
	for _, tok := range []string{tok2, tok3} {
		if _, err := l.Session(ctx, tok); !errors.Is(err, ErrNoSession) {
			t.Errorf("after logout everywhere: %v", err)
		}
	}
}

func TestSessionsEnd(t *testing.T) {
	t.Parallel()
	ctx, s := usersFixture(t)
	l := NewLogins(s, LoginPolicy{})
	u, _ := s.CreateUser(ctx, "shop-1", "ana@shop.example", RoleMarketer, "the right password")
	tests := []struct {
		name, sql string
		tok       string
		ses       Session
	}{
		{name: "expired", sql: `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`},
		{name: "idle", sql: `UPDATE sessions SET last_seen_at = now() - interval '61 minutes' WHERE id = $1`},
		{name: "user disabled", sql: `UPDATE users SET disabled_at = now() WHERE id = (SELECT user_id FROM sessions WHERE id = $1)`},
	}
	for i := range tests {
		var err error
		if tests[i].tok, tests[i].ses, err = l.CreateSession(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		if _, err := l.Session(ctx, tt.tok); err != nil {
			t.Fatalf("%s: before: %v", tt.name, err)
		}
		if _, err := s.pool.Exec(ctx, tt.sql, tt.ses.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Session(ctx, tt.tok); !errors.Is(err, ErrNoSession) {
			t.Errorf("%s: Session = %v, want ErrNoSession", tt.name, err)
		}
	}
	if n, err := l.PruneSessions(ctx); err != nil || n != 2 {
		t.Errorf("PruneSessions = %d, %v; want the expired and the idle one", n, err)
	}
	if _, err := l.Authenticate(ctx, "", "ana@shop.example", "the right password"); !errors.Is(err, ErrBadLogin) {
		t.Errorf("a disabled user signs in: %v", err)
	}
}
