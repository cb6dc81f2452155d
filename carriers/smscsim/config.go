package smscsim

import (
	"errors"
	"fmt"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
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
	// ReceiptLead holds each submit_sm_resp back this long after its
	// message's receipts are due, so that with ReceiptDelay 0 the receipt
	// comes first, as some SMSCs send it.
	ReceiptLead time.Duration
	// Latency is the wait before answering each submit_sm.
	Latency time.Duration
	// ReceiptRetry is the wait before delivering a receipt again when the
	// ESME refused it, did not answer, or no receiver was bound. Default 1s.
	ReceiptRetry time.Duration
	// MaxPending is how many submit_sm one session may hold unanswered;
	// more are answered ESME_RTHROTTLED. Default 1000.
	MaxPending int

	// IDFormat is how message ids are written in submit_sm_resp (and the
	// receipted_message_id parameter): "hex" (the default) or "decimal".
	IDFormat string
	// ReceiptIDFormat is how the id is written in receipt texts: "hex",
	// "decimal", or "" for IDFormat. Carriers that mix the two are the
	// reason tern's client has per-carrier id formats.
	ReceiptIDFormat string
	// NoReceiptTLVs sends receipts as text only, without the
	// receipted_message_id and message_state parameters.
	NoReceiptTLVs bool
	// Packed reads and writes data_coding 0 septets packed 8 into 7
	// octets.
	Packed bool
	// FirstID, when not 0, is the first message id handed out; ids count
	// up from it. A simulator started again with the same FirstID hands
	// out the ids it used before, as an SMSC that restarts with its
	// counter reset does. Default 0: ids continue from the clock, so a
	// restarted simulator never repeats one.
	FirstID uint64

	// The faults below are where the simulator starts; the Server's Set…
	// methods change them while it runs.

	// LatencyP99, when above Latency, spreads each submit's answer delay
	// log-normally with median Latency and this 99th percentile.
	LatencyP99 time.Duration
	// ThrottleRate, when above 0, answers ESME_RTHROTTLED to submits
	// beyond this many a second across all sessions, with bursts of
	// ThrottleBurst (default a tenth of a second's worth).
	ThrottleRate  float64
	ThrottleBurst int
	// ErrorRatio is the share of submits answered with ErrorStatus
	// (default ESME_RSYSERR) instead of being taken.
	ErrorRatio  float64
	ErrorStatus smpp.CommandStatus
	// DropEvery, when set, drops every session this often without
	// unbind.
	DropEvery time.Duration
	// Silent stops the simulator answering anything, as a hung SMSC.
	Silent bool
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
	if cfg.IDFormat == "" {
		cfg.IDFormat = "hex"
	}
	if cfg.ReceiptIDFormat == "" {
		cfg.ReceiptIDFormat = cfg.IDFormat
	}
	if cfg.ThrottleRate > 0 && cfg.ThrottleBurst == 0 {
		cfg.ThrottleBurst = defaultBurst(cfg.ThrottleRate)
	}
	if cfg.ErrorStatus == smpp.StatusOK {
		cfg.ErrorStatus = smpp.StatusSystemError
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
	}{
		{"receipt delay", cfg.ReceiptDelay}, {"receipt lead", cfg.ReceiptLead}, {"latency", cfg.Latency}, {"receipt retry", cfg.ReceiptRetry},
		{"latency p99", cfg.LatencyP99}, {"drop every", cfg.DropEvery},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: %v, want ≥ 0", d.name, d.v))
		}
	}
	if cfg.MaxPending < 0 {
		errs = append(errs, fmt.Errorf("max pending: %d, want ≥ 0", cfg.MaxPending))
	}
	for _, f := range []struct{ name, v string }{{"id format", cfg.IDFormat}, {"receipt id format", cfg.ReceiptIDFormat}} {
		if f.v != "" && f.v != "hex" && f.v != "decimal" {
			errs = append(errs, fmt.Errorf("%s %q: want hex or decimal", f.name, f.v))
		}
	}
	if cfg.ThrottleRate < 0 || cfg.ThrottleBurst < 0 {
		errs = append(errs, fmt.Errorf("throttle: rate %v burst %d, want ≥ 0", cfg.ThrottleRate, cfg.ThrottleBurst))
	}
	if cfg.ErrorRatio < 0 || cfg.ErrorRatio > 1 {
		errs = append(errs, fmt.Errorf("error ratio: %v, want 0 to 1", cfg.ErrorRatio))
	}
	if len(cfg.SystemID) > 15 || len(cfg.Password) > 8 {
		errs = append(errs, errors.New("system id at most 15 octets, password at most 8"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("smsc simulator config: %w", err)
	}
	return nil
}
