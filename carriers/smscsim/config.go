package smscsim

import (
	"errors"
	"fmt"
	"time"
)

// Config describes a simulator. Zero values take the documented defaults;
// every field is a plain value so that flags can fill it.
type Config struct {
	// Addr is the listen address. Default "127.0.0.1:2775"; tests use
	// "127.0.0.1:0".
	Addr string
	// SystemID and Password, when SystemID is set, are the only
	// credentials a bind may use; empty accepts any.
	SystemID, Password string
	// Seed decides, with destination and text, each message's outcome.
	Seed int64
	// DeliveredRatio is the share of messages that end DELIVRD. When all
	// four ratios are 0 every message is delivered.
	DeliveredRatio float64
	// UndeliveredRatio, ExpiredRatio and RejectedRatio are the shares
	// ending UNDELIV, EXPIRED and REJECTD. The four ratios sum to at most
	// 1; what they leave over is delivered as well.
	UndeliveredRatio, ExpiredRatio, RejectedRatio float64
	// ReceiptDelay is the wait between submit_sm_resp and the receipt.
	ReceiptDelay time.Duration
	// Latency is the wait before answering each submit_sm.
	Latency time.Duration
	// ReceiptRetry is the wait before delivering a receipt again when the
	// ESME refused it, did not answer, or no receiver was bound. Default 1s.
	ReceiptRetry time.Duration
	// MaxPending is how many submit_sm one session may hold unanswered;
	// more are answered ESME_RTHROTTLED. Default 1000.
	MaxPending int
}

func (cfg Config) withDefaults() Config {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:2775"
	}
	if cfg.ReceiptRetry == 0 {
		cfg.ReceiptRetry = time.Second
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = 1000
	}
	return cfg
}

// Validate reports every field out of range.
func (cfg Config) Validate() error {
	var errs []error
	ratios := []struct {
		name string
		v    float64
	}{
		{"delivered ratio", cfg.DeliveredRatio},
		{"undelivered ratio", cfg.UndeliveredRatio},
		{"expired ratio", cfg.ExpiredRatio},
		{"rejected ratio", cfg.RejectedRatio},
	}
	sum := 0.0
	for _, r := range ratios {
		if r.v < 0 || r.v > 1 {
			errs = append(errs, fmt.Errorf("%s: %v, want 0 to 1", r.name, r.v))
		}
		sum += r.v
	}
	if sum > 1+1e-9 {
		errs = append(errs, fmt.Errorf("ratios sum to %v, want at most 1", sum))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"receipt delay", cfg.ReceiptDelay}, {"latency", cfg.Latency}, {"receipt retry", cfg.ReceiptRetry}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: %v, want ≥ 0", d.name, d.v))
		}
	}
	if cfg.MaxPending < 0 {
		errs = append(errs, fmt.Errorf("max pending: %d, want ≥ 0", cfg.MaxPending))
	}
	if len(cfg.SystemID) > 15 || len(cfg.Password) > 8 {
		errs = append(errs, errors.New("system id at most 15 octets, password at most 8"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("smsc simulator config: %w", err)
	}
	return nil
}
