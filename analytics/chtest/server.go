package chtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Server is a private ClickHouse server a test starts and stops, for
// faults the shared server must not see. Its data outlives a Stop, so a
// Start brings the same databases back.
type Server struct {
	t        testing.TB
	dir      string
	tcp, web int
	cmd      *exec.Cmd
	done     chan struct{}
}

// serverBinary is Debian's clickhouse-server.
const serverBinary = "/usr/sbin/clickhouse-server"

// StartServer starts a private ClickHouse on free loopback ports, stopped
// when the test ends. Without the server binary the test is skipped, or
// fails under CI=true.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin := serverBinary
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		bin = p
	}
	if _, err := os.Stat(bin); err != nil {
		msg := "clickhouse-server is not installed: run `make deps`"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &Server{t: t, dir: t.TempDir(), tcp: freePort(t), web: freePort(t)}
	if err := s.writeConfig(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	s.Start()
	return s
}

// Addr is the native protocol address.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tcp)) }

// Start starts the server, if it is stopped, and returns once it answers.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	bin := serverBinary
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		bin = p
	}
	cmd := exec.Command(bin, "--config-file="+filepath.Join(s.dir, "config.xml"))
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start clickhouse: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.done) }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.waitReady(ctx); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log", "err.log"))
		s.t.Fatalf("clickhouse did not start: %v\n%s", err, log)
	}
}

// Stop stops the server (SIGTERM, as an operator would) and waits for it
// to exit.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

func (s *Server) waitReady(ctx context.Context) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/ping", s.web)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.Dial("tcp", s.Addr()); err == nil {
					c.Close()
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return errors.New("clickhouse-server exited")
		case <-tick.C:
		}
	}
}

func (s *Server) writeConfig() error {
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(s.dir, sub), 0o700); err != nil {
			return err
		}
	}
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%[1]s/log/server.log</log><errorlog>%[1]s/log/err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <timezone>UTC</timezone>
</yandex>
`, s.dir, s.tcp, s.web)
	users := `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
	if err := os.WriteFile(filepath.Join(s.dir, "config.xml"), []byte(config), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, "users.xml"), []byte(users), 0o600)
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
