package localsvc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// PostgresPasswordFile is the file in a cluster's directory holding the
// password of its superuser, mode 0600. It is generated when the cluster
// is created, or on the first start of a cluster made before clusters had
// passwords.
const PostgresPasswordFile = "password"

// pgHBA is the cluster's pg_hba.conf, written at every start: every login,
// over the socket or TCP, needs the password (SCRAM-SHA-256).
const pgHBA = `# Written by tern at every start: every login needs its password.
local all all     scram-sha-256
host  all all all scram-sha-256
`

// prepareCluster initializes the cluster under dir on first use, gives a
// cluster from before passwords one, writes pg_hba.conf, and returns the
// superuser's password.
func prepareCluster(ctx context.Context, bin, dir string, cred *syscall.Credential) (string, error) {
	pgdata := filepath.Join(dir, "pgdata")
	pwFile := filepath.Join(dir, PostgresPasswordFile)
	_, err := os.Stat(filepath.Join(pgdata, "PG_VERSION"))
	fresh := errors.Is(err, fs.ErrNotExist)
	password, err := readPassword(pwFile)
	switch {
	case err != nil:
		return "", err
	case fresh:
		// The password file is written first: initdb reads it, as the
		// server's user. A failed initdb leaves no cluster, and the next
		// start writes a new password.
		password = newPassword()
		if err := writeOwned(pwFile, password+"\n", cred); err != nil {
			return "", fmt.Errorf("postgres password: %w", err)
		}
		if err := initdb(ctx, bin, pgdata, pwFile, cred); err != nil {
			return "", err
		}
	case password == "":
		password = newPassword()
		if err := setPasswordOffline(ctx, bin, pgdata, password, cred); err != nil {
			return "", err
		}
		if err := writeOwned(pwFile, password+"\n", cred); err != nil {
			return "", fmt.Errorf("postgres password: %w", err)
		}
	}
	if err := writeOwned(filepath.Join(pgdata, "pg_hba.conf"), pgHBA, cred); err != nil {
		return "", fmt.Errorf("postgres pg_hba.conf: %w", err)
	}
	return password, nil
}

func initdb(ctx context.Context, bin, pgdata, pwFile string, cred *syscall.Credential) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", pgdata, "-U", postgresUser, "--auth=scram-sha-256", "--pwfile="+pwFile,
		"-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Dir = filepath.Dir(pgdata)
	if out, err := runChild(cmd, cred); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", pgdata, err, out)
	}
	return nil
}

// setPasswordOffline sets the superuser's password in single-user mode,
// before the server starts: a cluster made before passwords trusts every
// local login, which is what this ends.
func setPasswordOffline(ctx context.Context, bin, pgdata, password string, cred *syscall.Credential) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "postgres"), "--single", "-D", pgdata, "postgres")
	cmd.Dir = filepath.Dir(pgdata)
	// The password is hex: nothing in it needs quoting.
	cmd.Stdin = strings.NewReader("ALTER ROLE " + postgresUser + " PASSWORD '" + password + "'\n")
	out, err := runChild(cmd, cred)
	if err == nil && bytes.Contains(out, []byte("ERROR")) {
		err = errors.New("the statement failed")
	}
	if err != nil {
		return fmt.Errorf("set the postgres password of %s: %w\n%s", pgdata, err, out)
	}
	return nil
}

// runChild runs cmd to its end as cred's user (nil: the current one) and
// returns its output. It dies with tern.
func runChild(cmd *exec.Cmd, cred *syscall.Credential) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := startChild(cmd); err != nil {
		return nil, err
	}
	err := cmd.Wait()
	return out.Bytes(), err
}

// newPassword returns 24 random bytes in hex.
func newPassword() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// readPassword returns the trimmed password in path, "" when there is none.
func readPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgres password: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// writeOwned writes data to path, mode 0600, owned by cred's user when
// cred is not nil.
func writeOwned(path, data string, cred *syscall.Credential) error {
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		return err
	}
	if err := os.Chmod(path, 0o600); err != nil { // WriteFile keeps an old file's mode
		return err
	}
	if cred != nil {
		return os.Chown(path, int(cred.Uid), int(cred.Gid))
	}
	return nil
}

// PostgresURL is the URL of cfg's cluster, as StartPostgres gives it, for
// a client of a cluster another tern runs: it reads the password from the
// cluster's directory.
func PostgresURL(cfg PostgresConfig) (string, error) {
	cfg = cfg.withDefaults()
	password, err := readPassword(filepath.Join(cfg.Dir, PostgresPasswordFile))
	if err != nil {
		return "", err
	}
	if password == "" {
		return "", fmt.Errorf("postgres: no password in %s: has tern serve --dev run with --data %s?", filepath.Join(cfg.Dir, PostgresPasswordFile), filepath.Dir(cfg.Dir))
	}
	return clusterURL(net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), cfg.Database, password), nil
}

// clusterURL connects to database at addr as the superuser.
func clusterURL(addr, database, password string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(postgresUser, password), Host: addr, Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}
