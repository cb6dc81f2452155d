package localsvc

import (
	"context"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/testkit"
)

// A private cluster takes logins with its generated password only, kept
// in DIR/password (mode 0600), also after a restart; a cluster made before
// clusters had passwords (initdb --auth=trust) gets one on its next start.
func TestPostgresPassword(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	tests := []struct {
		name string
		// prepare makes what the start finds in dir.
		prepare func(t *testing.T, dir string)
	}{
		{"new cluster", func(*testing.T, string) {}},
		{"cluster that trusted every login", initTrustCluster},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			dir := filepath.Join(searchableTempDir(t), "pg")
			tt.prepare(t, dir)
			cfg := PostgresConfig{Dir: dir, Port: freePort(t)}
			var first string
			for round := range 2 {
				p, err := StartPostgres(ctx, cfg, testkit.Logger(t, slog.LevelDebug))
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				checkPasswordLogin(ctx, t, p.URL())
				// The file the password is kept in is part of the contract:
				// tern smpp-account and people with psql read it.
				b, err := os.ReadFile(filepath.Join(dir, "password"))
				if err != nil {
					t.Fatal(err)
				}
				u, _ := url.Parse(p.URL())
				pw, _ := u.User.Password()
				if strings.TrimSpace(string(b)) != pw {
					t.Fatalf("round %d: the URL's password is not the one in %s/password", round, dir)
				}
				if fi, _ := os.Stat(filepath.Join(dir, "password")); fi.Mode().Perm() != 0o600 {
					t.Fatalf("password file mode %v, want 0600", fi.Mode().Perm())
				}
				if round == 0 {
					first = pw
				} else if pw != first {
					t.Fatal("the password changed on a restart")
				}
				if err := p.Stop(ctx); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// checkPasswordLogin checks that url, which must carry a password, logs
// in, while the same without it or with another is refused.
func checkPasswordLogin(ctx context.Context, t *testing.T, rawURL string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := u.User.Password()
	if !ok || len(pw) < 16 {
		t.Fatalf("URL %s has no generated password", u.Redacted())
	}
	conn, err := pgx.Connect(ctx, rawURL)
	if err != nil {
		t.Fatalf("login with the password: %v", err)
	}
	conn.Close(ctx)
	for _, user := range []*url.Userinfo{url.User(u.User.Username()), url.UserPassword(u.User.Username(), pw+"x")} {
		bad := *u
		bad.User = user
		if conn, err := pgx.Connect(ctx, bad.String()); err == nil {
			conn.Close(ctx)
			t.Fatalf("login as %s was let in", bad.Redacted())
		} else if !strings.Contains(err.Error(), "password") {
			t.Fatalf("login as %s: %v, want a refusal for the password", bad.Redacted(), err)
		}
	}
}

// initTrustCluster makes the cluster tern made before passwords: trust
// authentication for every local login.
func initTrustCluster(t *testing.T, dir string) {
	t.Helper()
	bin, err := postgresBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := postgresCredential()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "pgdata"), "-U", "tern",
		"--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
}
