package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline/pgtest"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// serveWithFlags starts the whole system in-process from `tern serve
// --dev` flags, as startConfigured does: on free ports, against the test
// ClickHouse and PostgreSQL; change may alter the configuration after.
func serveWithFlags(t *testing.T, change func(*serveConfig), args ...string) (*running, error) {
	t.Helper()
	c, err := parseServeFlags(append([]string{"--dev"}, args...)...)
	if err != nil {
		t.Fatalf("tern serve %q: %v", args, err)
	}
	c.smpp = smppFlags{}
	c.dataDir = t.TempDir()
	c.listen = "127.0.0.1:0"
	c.kafkaListen = "127.0.0.1:0"
	ch := chtest.Config(t)
	c.clickhouseAddr, c.clickhouseDatabase = ch.Addr, ch.Database
	c.postgresURL = pgtest.URL(t)
	c.sim = smscsim.Config{Addr: "127.0.0.1:0", Seed: 1, DeliveredRatio: 1, ReceiptDelay: 20 * time.Millisecond}
	if change != nil {
		change(&c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := testkit.Logger(t, slog.LevelWarn)
	r, err := start(ctx, c, log)
	if r != nil {
		t.Cleanup(r.stack.shutdown)
	}
	return r, err
}

// startWithFlags is serveWithFlags for a start that must succeed.
func startWithFlags(t *testing.T, change func(*serveConfig), args ...string) *running {
	t.Helper()
	r, err := serveWithFlags(t, change, args...)
	if err != nil {
		t.Fatalf("start with %q: %v", args, err)
	}
	return r
}

// sendAndWaitDelivered sends one message and waits for its receipt.
func sendAndWaitDelivered(t *testing.T, r *running) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := ternv1connect.NewMessageServiceClient(h2c(), "http://"+r.apiAddr, bearer(r.devKey))
	sent, err := client.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", Body: "Your code is 492761"}))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	testkit.Eventually(t, 2*time.Minute, func() error {
		got, err := client.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: sent.Msg.Id}))
		if err != nil {
			return err
		}
		if s := got.Msg.Message.Status; s != ternv1.Status_STATUS_DELIVERED {
			return fmt.Errorf("message %s is %v, want delivered", sent.Msg.Id, s)
		}
		return nil
	})
}

func get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// With --metrics-listen, /metrics is served there, and only there: the
// API's port no longer answers it.
func TestMetricsListen(t *testing.T) {
	t.Parallel()
	port, err := localsvc.FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	metrics := "127.0.0.1:" + strconv.Itoa(port)
	r := startWithFlags(t, nil, "--metrics-listen", metrics)
	code, body, err := get("http://" + metrics + "/metrics")
	if err != nil || code != http.StatusOK || !strings.Contains(body, "tern_messages_accepted_total") {
		t.Fatalf("GET %s/metrics = %d, %v; want 200 with tern's metrics", metrics, code, err)
	}
	code, body, err = get("http://" + r.apiAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if code == http.StatusOK || strings.Contains(body, "tern_messages_accepted_total") {
		t.Fatalf("GET %s/metrics on the API's port = %d, want no metrics there", r.apiAddr, code)
	}
	if code, _, _ := get("http://" + metrics + "/"); code != http.StatusNotFound {
		t.Fatalf("GET %s/ = %d, want 404: the metrics listener serves nothing else", metrics, code)
	}
}

// --clickhouse-user and --clickhouse-password reach tern's ClickHouse
// connection: a local server made to take that login only serves tern,
// and a wrong password gets a clear refusal at start.
func TestClickHouseCredentials(t *testing.T) {
	t.Parallel()
	var ports [2]int
	for i := range ports {
		p, err := localsvc.FreePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = p
	}
	local := func(c *serveConfig) {
		c.clickhouseAddr, c.clickhouseDatabase = "", "tern"
		c.clickhouseTCPPort, c.clickhouseHTTPPort = ports[0], ports[1]
	}
	r := startWithFlags(t, local, "--clickhouse-user", "shop", "--clickhouse-password", "s3cret-pw")
	sendAndWaitDelivered(t, r)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, auth := range []clickhouse.Auth{{}, {Username: "shop", Password: "other"}} {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{r.clickhouseAddr}, Auth: auth})
		if err != nil {
			t.Fatal(err)
		}
		err = conn.Ping(ctx)
		conn.Close()
		if err == nil {
			t.Fatalf("ClickHouse let user %q in with password %q", auth.Username, auth.Password)
		}
	}

	addr := func(c *serveConfig) { c.clickhouseAddr, c.clickhouseDatabase = r.clickhouseAddr, "tern" }
	_, err := serveWithFlags(t, addr, "--clickhouse-user", "shop", "--clickhouse-password", "wrong")
	var exc *clickhouse.Exception
	if !errors.As(err, &exc) || exc.Code != 193 { // WRONG_PASSWORD
		t.Fatalf("start with a wrong ClickHouse password = %v, want code 193 (wrong password)", err)
	}
}

// A `tern kafka` that requires SASL serves tern's producers and consumers
// (kgo and kafka-go) when they log in with SCRAM, and refuses a start with
// a wrong password or none.
func TestKafkaSASL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "broker.log")
	logf, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	broker := exec.Command(ternBinary(t), "kafka", "--listen", "127.0.0.1:0", "--data", dir, "--sasl-user", "tern-app")
	broker.Env = append(os.Environ(), "TERN_KAFKA_SASL_PASSWORD=s3cret-pw")
	broker.Stdout, broker.Stderr = logf, logf
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		broker.Process.Kill()
		broker.Wait()
		logf.Close()
	})
	brokers := printedAddr(t, out, "kafka broker listening on ")

	r := startWithFlags(t, nil, "--kafka-brokers", brokers, "--kafka-partitions", "2",
		"--kafka-sasl-user", "tern-app", "--kafka-sasl-password", "s3cret-pw")
	sendAndWaitDelivered(t, r)

	tests := []struct {
		name string
		args []string
		want string // in the error; "" for any
	}{
		{"wrong password", []string{"--kafka-sasl-user", "tern-app", "--kafka-sasl-password", "s3cret-px"}, "SASL Authentication Failed"},
		{"unknown user", []string{"--kafka-sasl-user", "someone", "--kafka-sasl-password", "s3cret-pw", "--kafka-sasl-mechanism", "SCRAM-SHA-256"}, "SASL Authentication Failed"},
		// The broker closes a connection that does not log in; the
		// client sees no more than that.
		{"no login", nil, ""},
	}
	for _, tt := range tests {
		_, err := serveWithFlags(t, nil, append([]string{"--kafka-brokers", brokers, "--kafka-partitions", "2"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Fatalf("%s: start = %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

// With --kafka-sasl-user and no --kafka-brokers, the in-process broker
// requires that login too, of tern's clients and of everyone else.
func TestInProcessBrokerSASL(t *testing.T) {
	t.Parallel()
	r := startWithFlags(t, nil, "--kafka-sasl-user", "tern-app", "--kafka-sasl-password", "s3cret-pw")
	sendAndWaitDelivered(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Ping(ctx); err == nil {
		t.Fatal("the in-process broker answered a client that did not log in")
	}
}
