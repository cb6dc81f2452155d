package localsvc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"text/template"
	"time"
)

// ClickHouseConfig says where and how to run a private ClickHouse server.
// Zero fields take the documented defaults.
type ClickHouseConfig struct {
	// Dir holds the server's configuration, data and logs, e.g.
	// data/clickhouse. Required; created when missing.
	Dir string
	// Binary is the server executable. Default: clickhouse-server from PATH,
	// else /usr/sbin/clickhouse-server (Debian's clickhouse-server package).
	Binary string
	// Host is the address the server listens on. Default 127.0.0.1.
	Host string
	// TCPPort is the native protocol port. Default 9000.
	TCPPort int
	// HTTPPort is the HTTP interface port. Default 8123.
	HTTPPort int
	// StartTimeout bounds the wait until the server answers. Default 60s.
	StartTimeout time.Duration
	// User is the server's one user. Default "default".
	User string
	// Password is User's password. Default none.
	Password string
}

// Defaults for ClickHouseConfig.
const (
	DefaultClickHouseHost         = "127.0.0.1"
	DefaultClickHouseTCPPort      = 9000
	DefaultClickHouseHTTPPort     = 8123
	DefaultClickHouseStartTimeout = 60 * time.Second
)

// debianClickHouse is where Debian's clickhouse-server package installs the
// server, a directory that is not on every user's PATH.
const debianClickHouse = "/usr/sbin/clickhouse-server"

// Validate reports the first unusable field.
func (c ClickHouseConfig) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("%w: clickhouse dir is required", ErrInvalidConfig)
	case c.TCPPort < 0 || c.TCPPort > 65535:
		return fmt.Errorf("%w: clickhouse tcp port %d out of range", ErrInvalidConfig, c.TCPPort)
	case c.HTTPPort < 0 || c.HTTPPort > 65535:
		return fmt.Errorf("%w: clickhouse http port %d out of range", ErrInvalidConfig, c.HTTPPort)
	case c.StartTimeout < 0:
		return fmt.Errorf("%w: clickhouse start timeout %s is negative", ErrInvalidConfig, c.StartTimeout)
	case c.User != "" && !clickHouseUserName.MatchString(c.User):
		return fmt.Errorf("%w: clickhouse user %q: want letters, digits and '_', not first a digit", ErrInvalidConfig, c.User)
	}
	if d := c.withDefaults(); d.TCPPort == d.HTTPPort {
		return fmt.Errorf("%w: clickhouse tcp and http port are both %d", ErrInvalidConfig, d.TCPPort)
	}
	return nil
}

func (c ClickHouseConfig) withDefaults() ClickHouseConfig {
	if c.Host == "" {
		c.Host = DefaultClickHouseHost
	}
	if c.TCPPort == 0 {
		c.TCPPort = DefaultClickHouseTCPPort
	}
	if c.HTTPPort == 0 {
		c.HTTPPort = DefaultClickHouseHTTPPort
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultClickHouseStartTimeout
	}
	if c.User == "" {
		c.User = DefaultClickHouseUser
	}
	return c
}

// DefaultClickHouseUser is the user of a server started without one.
const DefaultClickHouseUser = "default"

// clickHouseUserName is what a user name may be: it is an element name in
// users.xml.
var clickHouseUserName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// StartClickHouse writes a minimal configuration under cfg.Dir, starts
// clickhouse-server as a child process and returns once it answers on both
// ports. ctx bounds the start only: the server runs until Stop.
//
// The server has one user, cfg.User with cfg.Password (default: default,
// with no password), reachable from the loopback addresses only.
func StartClickHouse(ctx context.Context, cfg ClickHouseConfig, log *slog.Logger) (p *Process, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	bin, err := clickHouseBinary(cfg.Binary)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("clickhouse dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("start clickhouse: %w", err)
	}
	cl, err := claimDir(ctx, dir, log)
	if err != nil {
		return nil, fmt.Errorf("start clickhouse: %w", err)
	}
	defer func() {
		if p == nil {
			cl.release()
		}
	}()
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.TCPPort))
	httpAddr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.HTTPPort))
	// A server already on our port would answer the readiness check while
	// ours fails to bind, so refuse up front.
	for _, a := range []string{addr, httpAddr} {
		if err := portFree(a); err != nil {
			return nil, fmt.Errorf("start clickhouse: %w", err)
		}
	}
	if err := writeClickHouseConfig(dir, cfg); err != nil {
		return nil, fmt.Errorf("start clickhouse: %w", err)
	}
	return startProcess(ctx, processSpec{
		name:     "clickhouse",
		path:     bin,
		args:     []string{"--config-file=" + filepath.Join(dir, "config.xml")},
		dir:      dir,
		logs:     []string{filepath.Join(dir, "log", "clickhouse-server.err.log")},
		addr:     addr,
		httpAddr: httpAddr,
		claim:    cl,
		timeout:  cfg.StartTimeout,
		ready: func(ctx context.Context) error {
			if err := pingClickHouseHTTP(ctx, httpAddr); err != nil {
				return err
			}
			return dialOnce(ctx, addr)
		},
	}, log)
}

func clickHouseBinary(name string) (string, error) {
	if name == "" {
		if p, err := exec.LookPath("clickhouse-server"); err == nil {
			return p, nil
		}
		name = debianClickHouse
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("clickhouse: %w: %s not found; apt-get install clickhouse-server", ErrNotInstalled, name)
	}
	return p, nil
}

// portFree reports ErrPortInUse when addr cannot be bound right now.
func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrPortInUse, addr, err)
	}
	return l.Close()
}

// pingTimeout bounds a single readiness probe.
const pingTimeout = time.Second

// pingClickHouseHTTP asks the HTTP interface's /ping, which answers "Ok."
// once the server accepts queries.
func pingClickHouseHTTP(ctx context.Context, httpAddr string) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpAddr+"/ping", nil)
	if err != nil {
		return err
	}
	// No idle keep-alive connection left behind: the server waits for open
	// connections when it shuts down.
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("Ok.")) {
		return fmt.Errorf("ping %s: %s %q", httpAddr, resp.Status, body)
	}
	return nil
}

func dialOnce(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// writeClickHouseConfig writes config.xml and users.xml into dir and creates
// the directories they name. The files are rewritten on every start so a
// changed port takes effect.
func writeClickHouseConfig(dir string, cfg ClickHouseConfig) error {
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return err
		}
	}
	sum := sha256.Sum256([]byte(cfg.Password))
	data := map[string]any{
		"Dir":      dir,
		"Host":     cfg.Host,
		"TCPPort":  cfg.TCPPort,
		"HTTPPort": cfg.HTTPPort,
		"User":     cfg.User,
		"Password": cfg.Password != "",
		"SHA256":   hex.EncodeToString(sum[:]),
	}
	for name, tmpl := range map[string]*template.Template{
		"config.xml": clickHouseConfigXML,
		"users.xml":  clickHouseUsersXML,
	} {
		var b bytes.Buffer
		if err := tmpl.Execute(&b, data); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o600); err != nil {
			return err
		}
		if err := os.Chmod(filepath.Join(dir, name), 0o600); err != nil { // WriteFile keeps an old file's mode
			return err
		}
	}
	return nil
}

func xmlText(v any) (string, error) {
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(fmt.Sprint(v))); err != nil {
		return "", err
	}
	return b.String(), nil
}

var xmlFuncs = template.FuncMap{"x": xmlText}

// The root element is <yandex>, which 18.16 requires and current releases
// still accept.
var clickHouseConfigXML = template.Must(template.New("config.xml").Funcs(xmlFuncs).Parse(`<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>{{x .Dir}}/log/clickhouse-server.log</log>
    <errorlog>{{x .Dir}}/log/clickhouse-server.err.log</errorlog>
    <size>10M</size>
    <count>2</count>
  </logger>
  <listen_host>{{x .Host}}</listen_host>
  <tcp_port>{{.TCPPort}}</tcp_port>
  <http_port>{{.HTTPPort}}</http_port>
  <path>{{x .Dir}}/data/</path>
  <tmp_path>{{x .Dir}}/tmp/</tmp_path>
  <user_files_path>{{x .Dir}}/user_files/</user_files_path>
  <format_schema_path>{{x .Dir}}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <timezone>UTC</timezone>
  <!-- What the server writes is its owner's only. -->
  <umask>077</umask>
</yandex>
`))

var clickHouseUsersXML = template.Must(template.New("users.xml").Funcs(xmlFuncs).Parse(`<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
    </default>
  </profiles>
  <users>
    <{{.User}}>
      {{if .Password}}<password_sha256_hex>{{.SHA256}}</password_sha256_hex>{{else}}<password></password>{{end}}
      <networks>
        <ip>127.0.0.1</ip>
        <ip>::1</ip>
      </networks>
      <profile>default</profile>
      <quota>default</quota>
    </{{.User}}>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`))
