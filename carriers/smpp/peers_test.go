package smpp_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
)

// startSim starts a simulator on a free loopback port for the test.
func startSim(t *testing.T, cfg smscsim.Config) *smscsim.Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := smscsim.New(cfg, smscsim.WithLogger(testkit.EnvLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// startClient runs a client against addr until the test ends.
func startClient(t *testing.T, cfg smpp.ClientConfig, opts ...smpp.ClientOption) *smpp.Client {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "sim"
	}
	if cfg.SystemID == "" {
		cfg.SystemID = "tern"
	}
	opts = append([]smpp.ClientOption{smpp.WithLogger(testkit.EnvLogger())}, opts...)
	c, err := smpp.NewClient(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return c
}

// receipts collects receipts by carrier id.
type receipts struct {
	mu   sync.Mutex
	byID map[string][]carriers.Receipt
	// fail, if set, decides whether the handler refuses a receipt.
	fail func(r carriers.Receipt, seen int) bool
}

func newReceipts() *receipts { return &receipts{byID: map[string][]carriers.Receipt{}} }

func (rs *receipts) handle(_ context.Context, r carriers.Receipt) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	seen := len(rs.byID[r.ID])
	rs.byID[r.ID] = append(rs.byID[r.ID], r)
	if rs.fail != nil && rs.fail(r, seen) {
		return errRefused
	}
	return nil
}

func (rs *receipts) get(id string) []carriers.Receipt {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]carriers.Receipt(nil), rs.byID[id]...)
}

func (rs *receipts) count() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.byID)
}

type refusedError struct{}

func (refusedError) Error() string { return "refused by test" }

var errRefused error = refusedError{}
