package localsvc

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ternsms/tern/core/testkit"
)

// A server started with a user and password takes that login only, and
// its configuration, which names the password's hash, is its owner's only.
func TestStartClickHouseWithPassword(t *testing.T) {
	requireClickHouse(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "clickhouse")
	cfg := ClickHouseConfig{Dir: dir, TCPPort: freePort(t), HTTPPort: freePort(t), User: "shop", Password: "s3cret-pw"}
	p, err := StartClickHouse(ctx, cfg, testkit.Logger(t, slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(context.Background())
	tests := []struct {
		name     string
		auth     clickhouse.Auth
		wantFail bool
	}{
		{"user and password", clickhouse.Auth{Username: "shop", Password: "s3cret-pw"}, false},
		{"wrong password", clickhouse.Auth{Username: "shop", Password: "s3cret-px"}, true},
		{"no password", clickhouse.Auth{Username: "shop"}, true},
		{"default user", clickhouse.Auth{}, true},
	}
	for _, tt := range tests {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{p.Addr()}, Auth: tt.auth})
		if err != nil {
			t.Fatal(err)
		}
		err = conn.Ping(ctx)
		conn.Close()
		switch {
		case tt.wantFail && err == nil:
			t.Errorf("%s: let in", tt.name)
		case tt.wantFail && !refusedLogin(err):
			t.Errorf("%s: %v, want an authentication error", tt.name, err)
		case !tt.wantFail && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	for _, name := range []string{"config.xml", "users.xml"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "users.xml")); strings.Contains(string(b), "s3cret-pw") {
		t.Error("users.xml holds the password in the clear")
	}
}

// refusedLogin reports whether err is ClickHouse refusing a login: an
// unknown user (192), a wrong (193) or missing (194) password, or, from
// releases after 18.16, a failed authentication (516).
func refusedLogin(err error) bool {
	var exc *clickhouse.Exception
	if !errors.As(err, &exc) {
		return false
	}
	switch exc.Code {
	case 192, 193, 194, 516:
		return true
	}
	return false
}
