package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
	"github.com/ternsms/tern/core/testkit"
)

// TestDashboardInBrowser runs the dashboard's browser test
// (api/web/e2e/dashboard.mjs) in Debian's Chromium against a real `tern
// serve --dev` with its own data directory: sign in, every page of the
// nav with axe-core, the composer's counter turning UCS-2 on an emoji,
// a send, the phone layout, a viewer's Send page. Screenshots go to
// $TERN_TEST_ARTIFACTS/TestDashboardInBrowser (make test sets it to
// test-artifacts/), else to the test's artifact directory (go test
// -artifacts). It builds the app first when it is out of date (make web).
func TestDashboardInBrowser(t *testing.T) {
	chromium := needProgram(t, envOr("TERN_CHROMIUM", "/usr/bin/chromium"), "Debian's chromium (make deps installs it)")
	needProgram(t, "node", "Node.js 20 (make deps installs it)")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("make", "-C", root, "--no-print-directory", "web").CombinedOutput(); err != nil {
		t.Fatalf("make web: %v\n%s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "tern")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ports := newDevPorts(t)
	data := filepath.Join(postgresReachableDir(t), "data")
	api := startDashboardServe(t, bin, data, ports)
	pgURL, err := localsvc.PostgresURL(localsvc.PostgresConfig{Dir: filepath.Join(data, "postgres"), Port: ports.postgres})
	if err != nil {
		t.Fatal(err)
	}
	// tern serve --dev made the dev tenant's owner and wrote its login.
	login, err := os.ReadFile(filepath.Join(data, "dev-dashboard-login"))
	ownerEmail, owner, ok := strings.Cut(strings.TrimSpace(string(login)), " ")
	if err != nil || !ok {
		t.Fatalf("dev-dashboard-login %q: %v", login, err)
	}
	createDashboardUser(t, bin, pgURL, "viewer@shop.example", "viewer", "a viewer's long password")

	shots := t.ArtifactDir()
	if dir := os.Getenv("TERN_TEST_ARTIFACTS"); dir != "" {
		shots = filepath.Join(dir, t.Name())
	}
	node := exec.Command("node", "e2e/dashboard.mjs")
	node.Dir = filepath.Join(root, "api/web")
	node.Env = append(os.Environ(), "TERN_URL=http://"+api, "CHROMIUM="+chromium, "OUT_DIR="+shots,
		"TERN_EMAIL="+ownerEmail, "TERN_PASSWORD="+owner,
		"TERN_VIEWER_EMAIL=viewer@shop.example", "TERN_VIEWER_PASSWORD=a viewer's long password")
	var stdout, stderr bytes.Buffer
	node.Stdout, node.Stderr = &stdout, &stderr
	runErr := node.Run()
	var res struct {
		OK     bool
		Error  string
		Checks []string
		Pages  []struct {
			Name           string
			Serious, Minor []string
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("browser test: %v, %v\nstdout:\n%s\nstderr:\n%s", runErr, err, stdout.String(), tail(stderr.String(), 30))
	}
	for _, c := range res.Checks {
		t.Log("ok:", c)
	}
	for _, p := range res.Pages {
		t.Logf("axe %s: %d serious or critical, minor %v", p.Name, len(p.Serious), p.Minor)
	}
	t.Logf("screenshots in %s", shots)
	if !res.OK || runErr != nil {
		t.Fatalf("browser test failed: %s (%v)\nstderr:\n%s", res.Error, runErr, tail(stderr.String(), 30))
	}
}

// needProgram returns the path of a program the test needs. Without it
// the test skips, and under CI=true fails.
func needProgram(t *testing.T, name, what string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing: %v", what, err)
	}
	t.Skipf("%s is missing: %v", what, err)
	return ""
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// createDashboardUser makes a dashboard user with `tern user create` and returns
// its password: the one given, or the one generated.
func createDashboardUser(t *testing.T, bin, pgURL, email, role, password string) string {
	t.Helper()
	args := []string{"user", "create", "--tenant", "dev", "--email", email, "--role", role, "--postgres-url", pgURL}
	cmd := exec.Command(bin, args...)
	if password != "" {
		cmd.Args = append(cmd.Args, "--password-stdin")
		cmd.Stdin = strings.NewReader(password + "\n")
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tern user create %s: %v\n%s", email, err, out)
	}
	var u struct{ Password string }
	if err := json.Unmarshal(out, &u); err != nil {
		t.Fatalf("tern user create printed %q: %v", out, err)
	}
	if password == "" {
		password = u.Password
	}
	return password
}

// startDashboardServe starts bin as `tern serve --dev` on data, as
// startDevServe does with the shared binary, and returns its API
// address once /metrics answers.
func startDashboardServe(t *testing.T, bin, data string, ports devPorts) string {
	t.Helper()
	logPath := filepath.Join(filepath.Dir(data), "serve.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--dev", "--data", data, "--listen", "127.0.0.1:0", "--kafka-listen", "127.0.0.1:0",
		"--clickhouse-port", strconv.Itoa(ports.clickhouse), "--clickhouse-http-port", strconv.Itoa(ports.clickhouseHTTP),
		"--postgres-port", strconv.Itoa(ports.postgres), "--sim-listen", "127.0.0.1:0",
		"--sim-delivered", "1", "--sim-undelivered", "0", "--smpp-listen", "off", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("tern serve --dev output (tail):\n%s", tail(string(b), 40))
		}
	})
	api := strings.TrimPrefix(printedAddr(t, logPath, "  API (gRPC, gRPC-Web, Connect): "), "http://")
	testkit.Eventually(t, time.Minute, func() error {
		resp, err := http.Get("http://" + api + "/metrics")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/metrics: %s", resp.Status)
		}
		return nil
	})
	return api
}
