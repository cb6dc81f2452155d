package localsvc

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresConfig says where and how to run a private PostgreSQL cluster.
// Zero fields take the documented defaults.
type PostgresConfig struct {
	// Dir holds the cluster (Dir/pgdata), its socket and logs, e.g.
	// data/postgres. Required; created when missing, initialized once.
	Dir string
	// BinDir holds initdb and postgres. Default: the newest
	// /usr/lib/postgresql/*/bin (Debian's postgresql package).
	BinDir string
	// Host is the address the server listens on. Default 127.0.0.1.
	Host string
	// Port. Default 5432.
	Port int
	// Database is created if missing. Default "tern".
	Database string
	// StartTimeout bounds the wait until the server answers. Default 60s.
	StartTimeout time.Duration
}

// Defaults for PostgresConfig.
const (
	DefaultPostgresPort     = 5432
	DefaultPostgresDatabase = "tern"
	postgresUser            = "tern" // the cluster's superuser; logs in with the cluster's password
)

// Validate reports the first unusable field.
func (c PostgresConfig) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("%w: postgres dir is required", ErrInvalidConfig)
	case c.Port < 0 || c.Port > 65535:
		return fmt.Errorf("%w: postgres port %d out of range", ErrInvalidConfig, c.Port)
	case c.StartTimeout < 0:
		return fmt.Errorf("%w: postgres start timeout %s is negative", ErrInvalidConfig, c.StartTimeout)
	}
	return nil
}

func (c PostgresConfig) withDefaults() PostgresConfig {
	if c.Host == "" {
		c.Host = DefaultClickHouseHost
	}
	if c.Port == 0 {
		c.Port = DefaultPostgresPort
	}
	if c.Database == "" {
		c.Database = DefaultPostgresDatabase
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultClickHouseStartTimeout
	}
	return c
}

// StartPostgres initializes a cluster under cfg.Dir on first use, starts
// postgres as a child process and returns once the database answers. The
// Process's URL connects to cfg.Database as the cluster's superuser, with
// the cluster's password (see PostgresPasswordFile). ctx bounds the start
// only: the server runs until Stop.
//
// PostgreSQL refuses to run as root; when tern runs as root the cluster
// belongs to, and runs as, the postgres system user.
func StartPostgres(ctx context.Context, cfg PostgresConfig, log *slog.Logger) (p *Process, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	bin, err := postgresBinDir(cfg.BinDir)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("postgres dir: %w", err)
	}
	cred, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	if err := postgresDirs(dir, cred); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	cl, err := claimDir(ctx, dir, log)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	defer func() {
		if p == nil {
			cl.release()
		}
	}()
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	if err := portFree(addr); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	pgdata := filepath.Join(dir, "pgdata")
	password, err := prepareCluster(ctx, bin, dir, cred)
	if err != nil {
		return nil, err
	}
	admin := clusterURL(addr, "postgres", password)
	p, err = startProcess(ctx, processSpec{
		name: "postgres",
		path: filepath.Join(bin, "postgres"),
		args: []string{
			"-D", pgdata,
			"-c", "listen_addresses=" + cfg.Host,
			"-c", "port=" + strconv.Itoa(cfg.Port),
			"-c", "unix_socket_directories=" + filepath.Join(dir, "run"),
			"-c", "max_connections=300",
			"-c", "shared_buffers=128MB",
		},
		dir:        dir,
		addr:       addr,
		url:        clusterURL(addr, cfg.Database, password),
		stopSig:    syscall.SIGINT, // fast shutdown: SIGTERM would wait for clients to leave
		credential: cred,
		claim:      cl,
		timeout:    cfg.StartTimeout,
		ready: func(ctx context.Context) error {
			conn, err := pgx.Connect(ctx, admin)
			if err != nil {
				return err
			}
			return conn.Close(ctx)
		},
	}, log)
	if err != nil {
		return nil, err
	}
	if err := createDatabase(ctx, admin, cfg.Database); err != nil {
		p.Stop(context.Background())
		return nil, err
	}
	return p, nil
}

// postgresDirs creates the cluster's directory and those beside its data,
// owned by the user the server runs as (cred, or the current user when nil).
func postgresDirs(dir string, cred *syscall.Credential) error {
	if cred != nil {
		if err := reachable(filepath.Dir(dir), cred); err != nil {
			return fmt.Errorf("as user postgres: %w", err)
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "run"), filepath.Join(dir, "log")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return err
			}
		}
	}
	return nil
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: create database %s: %w", name, err)
	}
	return nil
}

// postgresCredential returns the postgres system user's credential when
// running as root, nil otherwise.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: running as root needs the postgres system user (apt-get install postgresql): %v", ErrNotInstalled, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func postgresBinDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(found) == 0 {
		return "", fmt.Errorf("%w: postgres not found under /usr/lib/postgresql (apt-get install postgresql)", ErrNotInstalled)
	}
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi < vj
	})
	return filepath.Dir(found[len(found)-1]), nil
}
