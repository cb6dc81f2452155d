package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
	"github.com/ternsms/tern/core/testkit"
)

// kannelBinaries finds Kannel's bearerbox and smsbox (Debian kannel):
// missing, the test skips, or fails under CI=true.
func kannelBinaries(t *testing.T) (bearerbox, smsbox string) {
	t.Helper()
	find := func(name string) string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		if p := "/usr/sbin/" + name; fileExists(p) {
			return p
		}
		return ""
	}
	bearerbox, smsbox = find("bearerbox"), find("smsbox")
	if bearerbox == "" || smsbox == "" {
		msg := "Kannel (bearerbox, smsbox) is not installed: make deps installs the Debian package kannel"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bearerbox, smsbox
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// kannelConfig is a bearerbox and smsbox configuration: one SMPP
// connection to tern's gateway as a transceiver, a sendsms user, and a
// default service that passes replies to moURL without answering them.
func kannelConfig(dir, gatewayAddr, systemID, password, moURL string, admin, smsboxPort, sendsms int) string {
	host, port, _ := strings.Cut(gatewayAddr, ":")
	return fmt.Sprintf(`group = core
admin-port = %[1]d
admin-password = admin
admin-allow-ip = "127.0.0.1"
smsbox-port = %[2]d
box-allow-ip = "127.0.0.1"
log-file = "%[3]s/bearerbox.log"
log-level = 0
access-log = "%[3]s/access.log"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = tern
host = %[4]s
port = %[5]s
transceiver-mode = true
smsc-username = "%[6]s"
smsc-password = "%[7]s"
system-type = ""
enquire-link-interval = 30
reconnect-delay = 1
max-pending-submits = 20

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %[2]d
sendsms-port = %[8]d
log-file = "%[3]s/smsbox.log"
log-level = 0

group = sendsms-user
username = shop
password = shoppw
max-messages = 3
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "%[9]s?from=%%p&to=%%P&text=%%a"
`, admin, smsboxPort, dir, host, port, systemID, password, sendsms, moURL)
}

// startKannel runs a Kannel box as a child process until the test ends.
func startKannel(t *testing.T, bin, conf, dir string) {
	t.Helper()
	name := filepath.Base(bin)
	logf, err := os.Create(filepath.Join(dir, name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			for _, f := range []string{name + ".out", name + ".log"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				t.Logf("%s (tail):\n%s", f, tail(string(b), 30))
			}
		}
	})
}

// hits records the requests Kannel makes to the test's HTTP server.
type hits struct {
	mu  sync.Mutex
	got map[string][]url.Values // by path
}

func (h *hits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.got[r.URL.Path] = append(h.got[r.URL.Path], r.URL.Query())
	h.mu.Unlock()
	io.WriteString(w, "")
}

func (h *hits) of(path string) []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.got[path]...)
}

// TestKannelInterop: Kannel, a widely deployed gateway written in C, binds
// to tern's gateway as a customer (transceiver). Messages sent through its
// sendsms interface reach the carrier once each; Kannel gets a receipt for
// each on the same bind and calls its dlr-url with the status the carrier
// decided; a reply to the account's number reaches Kannel's service.
func TestKannelInterop(t *testing.T) {
	bearerbox, smsbox := kannelBinaries(t)
	sim := smscsim.Config{Addr: "127.0.0.1:0", Seed: 11, DeliveredRatio: 0.7, UndeliveredRatio: 0.3, ReceiptDelay: 200 * time.Millisecond}
	r := startGatewaySystem(t, sim)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := runSMPPAccount(ctx, []string{"add", "--postgres-url", r.postgresURL, "--system-id", "kannel",
		"--password", "kpass1", "--tenant", "dev", "--number", "12345"}); err != nil {
		t.Fatal(err)
	}

	h := &hits{got: map[string][]url.Values{}}
	web := httptest.NewServer(h)
	defer web.Close()
	var ports [3]int
	for i := range ports {
		p, err := localsvc.FreePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = p
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(conf, []byte(kannelConfig(dir, r.smpp.srv.Addr(), "kannel", "kpass1", web.URL+"/mo", ports[0], ports[1], ports[2])), 0o600); err != nil {
		t.Fatal(err)
	}
	startKannel(t, bearerbox, conf, dir)
	testkit.Eventually(t, 30*time.Second, func() error {
		var n int
		if err := r.store.Pool().QueryRow(ctx, "SELECT count(*) FROM smpp_binds WHERE system_id = 'kannel'").Scan(&n); err != nil || n == 0 {
			return fmt.Errorf("kannel has not bound (%d binds, %v)", n, err)
		}
		return nil
	})
	startKannel(t, smsbox, conf, dir)

	const n = 20
	sendsms := fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", ports[2])
	type msg struct{ to, text string }
	msgs := make([]msg, n)
	for i := range n {
		m := msg{to: fmt.Sprintf("1415555%04d", 4000+i), text: fmt.Sprintf("Kannel order %d is on its way", i)}
		msgs[i] = m
		q := url.Values{
			"username": {"shop"}, "password": {"shoppw"}, "from": {"SHOP"}, "to": {"+" + m.to}, "text": {m.text},
			"dlr-mask": {"3"}, "dlr-url": {fmt.Sprintf("%s/dlr?n=%d&type=%%d&id=%%F", web.URL, i)},
		}
		testkit.Eventually(t, 30*time.Second, func() error { // until smsbox is up
			resp, err := http.Get(sendsms + "?" + q.Encode())
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusAccepted {
				return fmt.Errorf("sendsms %d: %d %s", i, resp.StatusCode, b)
			}
			return nil
		})
	}
	testkit.Eventually(t, time.Minute, func() error {
		for i, m := range msgs {
			if got := r.sim.Submits(m.to, m.text); got != 1 {
				return fmt.Errorf("message %d reached the carrier %d times", i, got)
			}
		}
		return nil
	})
	testkit.Eventually(t, time.Minute, func() error {
		got := map[string]string{}
		for _, v := range h.of("/dlr") {
			got[v.Get("n")] = v.Get("type")
			if len(v.Get("id")) != 34 {
				return fmt.Errorf("dlr-url called with id %q, want tern's id", v.Get("id"))
			}
		}
		for i, m := range msgs {
			want := map[string]string{"DELIVRD": "1", "UNDELIV": "2"}[sim.Outcome(m.to, m.text)]
			if got[fmt.Sprint(i)] != want {
				return fmt.Errorf("message %d: dlr type %q, want %q (%d of %d called)", i, got[fmt.Sprint(i)], want, len(got), n)
			}
		}
		return nil
	})

	// A reply to the account's number comes to Kannel on the same bind.
	if err := r.sim.SendMO(ctx, "tern", "+14155552671", "12345", "Thanks, got it"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		for _, v := range h.of("/mo") {
			if v.Get("text") == "Thanks, got it" && strings.HasSuffix(v.Get("from"), "14155552671") && v.Get("to") == "12345" {
				return nil
			}
		}
		return fmt.Errorf("no reply at Kannel's service: %v", h.of("/mo"))
	})
}
