package gateway

import (
	"testing"
)

// TestDummyHashCost: a bind refused without a password to check (unknown
// system_id, disabled, address not allowed) is checked against a hash of
// the store's work factor that nothing matches.
func TestDummyHashCost(t *testing.T) {
	e := newEnv(t)
	e.store.iterations = 2 * MinPasswordIterations
	srv := e.start(e.config())
	if got, want := hashIterations(srv.dummy), e.store.iterations; got != want {
		t.Fatalf("dummy hash of %d iterations, want the store's %d", got, want)
	}
	for _, pw := range []string{"", "secret", "x"} {
		if ok, err := checkPassword(srv.dummy, pw); ok || err != nil {
			t.Fatalf("%q matches the dummy hash: %v %v", pw, ok, err)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	for pw, ok := range map[string]bool{"": false, "12345": false, "123456": true, NewPassword(): true, "123456789": false} {
		if err := ValidatePassword(pw); (err == nil) != ok {
			t.Errorf("%q: %v", pw, err)
		}
	}
}
