package smpp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// ClientConfig describes the binds to one carrier's SMSC. Zero values take
// the documented defaults.
type ClientConfig struct {
	// Name names the carrier in receipts (carriers.Receipt.Carrier) and
	// logs. Required.
	Name string
	// Addr is the SMSC's host:port. Required.
	Addr string
	// SystemID (at most 15 octets), Password (at most 8) and SystemType
	// (at most 12) go into every bind.
	SystemID, Password, SystemType string
	// TLS, when set, has the client speak SMPP over TLS with this
	// configuration; its ServerName defaults to Addr's host. WithDialer
	// overrides it.
	TLS *tls.Config
	// Window bounds the submit_sm in flight on each bind. Default 100.
	Window int
	// RequestTimeout bounds the wait for each response; a submit_sm
	// answered later than this is reported in doubt. Default 10s.
	RequestTimeout time.Duration
	// EnquireLink is the keepalive interval. A bind whose peer stops
	// answering is dropped within EnquireLink + RequestTimeout. Default 30s.
	EnquireLink time.Duration

	// Mode chooses the sessions: BindTransceivers (the default) binds
	// Binds transceivers; BindTransmitterReceiver binds Binds
	// transmitters and Receivers receivers.
	Mode BindMode
	// Binds is how many sessions submit, each with its own Window.
	// Default 1.
	Binds int
	// Receivers is how many receiver sessions BindTransmitterReceiver
	// opens. Default 1.
	Receivers int
	// TPS caps the submit_sm per second across all binds; 0 sets no cap.
	// Below the cap the client adapts to ESME_RTHROTTLED answers.
	TPS float64
	// ThrottlePause is how long a bind stops sending after an
	// ESME_RTHROTTLED answer; it doubles while the same bind keeps being
	// throttled, up to 32 times. Default 200ms.
	ThrottlePause time.Duration
	// QueueFullRetry is how long a submit answered ESME_RMSGQFUL asks its
	// caller to wait before sending it again (carriers.BackoffError.Wait).
	// Default 8s.
	QueueFullRetry time.Duration
	// ReconnectMin and ReconnectMax bound the jittered exponential wait
	// between reconnects of a bind. Defaults 250ms and 10s, so that a bind
	// is back within about 10s of its SMSC.
	ReconnectMin, ReconnectMax time.Duration
	// StableAfter is how long a bind must stay up before its reconnect
	// wait starts again from ReconnectMin; a bind on which the SMSC took a
	// submit starts it again however short it was. Default 30s.
	StableAfter time.Duration

	// LongMessages chooses how texts longer than one part travel:
	// LongUDH (the default), LongSAR or LongPayload.
	LongMessages LongMode
	// Packed packs GSM-7 septets 8 into 7 octets, for carriers that
	// expect data_coding 0 packed. It applies to inbound messages too.
	Packed bool
	// ResponseIDFormat and ReceiptIDFormat say how the carrier writes
	// message ids in submit_sm_resp (and in the receipted_message_id
	// parameter, which repeats it) and in receipt texts. Default IDAuto.
	ResponseIDFormat, ReceiptIDFormat IDFormat

	// InboundTimeout is how long the parts of a multipart inbound
	// message wait for the rest; then what arrived is delivered alone.
	// Default 2m.
	InboundTimeout time.Duration
	// InboundPending bounds the multipart inbound messages waiting for
	// parts; beyond it the oldest is delivered as it is. Default 1024.
	InboundPending int
}

// BindMode is the kind of sessions a client opens.
type BindMode uint8

const (
	// BindTransceivers submits and receives on the same sessions.
	BindTransceivers BindMode = iota
	// BindTransmitterReceiver submits on transmitters and receives on
	// separate receivers.
	BindTransmitterReceiver
)

func (m BindMode) String() string {
	if m == BindTransmitterReceiver {
		return "tx+rx"
	}
	return "trx"
}

// MarshalText writes the name ParseBindMode reads.
func (m BindMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode as ParseBindMode does.
func (m *BindMode) UnmarshalText(b []byte) error {
	v, err := ParseBindMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ParseBindMode reads trx (or transceiver, or "") and tx+rx (or txrx).
func ParseBindMode(s string) (BindMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "trx", "transceiver":
		return BindTransceivers, nil
	case "tx+rx", "txrx", "tx,rx", "transmitter+receiver":
		return BindTransmitterReceiver, nil
	}
	return 0, fmt.Errorf("bind mode %q: want trx or tx+rx", s)
}

func (c ClientConfig) withDefaults() ClientConfig {
	if c.Window == 0 {
		c.Window = 100
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.EnquireLink == 0 {
		c.EnquireLink = 30 * time.Second
	}
	if c.Binds == 0 {
		c.Binds = 1
	}
	if c.Receivers == 0 {
		c.Receivers = 1
	}
	if c.ThrottlePause == 0 {
		c.ThrottlePause = 200 * time.Millisecond
	}
	if c.QueueFullRetry == 0 {
		c.QueueFullRetry = 8 * time.Second
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = 250 * time.Millisecond
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = max(10*time.Second, c.ReconnectMin)
	}
	if c.StableAfter == 0 {
		c.StableAfter = 30 * time.Second
	}
	if c.InboundTimeout == 0 {
		c.InboundTimeout = 2 * time.Minute
	}
	if c.InboundPending == 0 {
		c.InboundPending = 1024
	}
	return c
}

// Validate reports every field that is missing or out of range, after
// defaults fill zero values.
func (c ClientConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if len(c.SystemID) > 15 {
		errs = append(errs, fmt.Errorf("system_id: %d octets, at most 15", len(c.SystemID)))
	}
	if len(c.Password) > 8 {
		errs = append(errs, fmt.Errorf("password: %d octets, at most 8", len(c.Password)))
	}
	if len(c.SystemType) > 12 {
		errs = append(errs, fmt.Errorf("system_type: %d octets, at most 12", len(c.SystemType)))
	}
	if c.Window < 1 || c.Window > 10000 {
		errs = append(errs, fmt.Errorf("window: %d, want 1 to 10000", c.Window))
	}
	if c.Mode > BindTransmitterReceiver {
		errs = append(errs, fmt.Errorf("mode: %d, want trx or tx+rx", c.Mode))
	}
	if c.Binds < 1 || c.Binds > 64 {
		errs = append(errs, fmt.Errorf("binds: %d, want 1 to 64", c.Binds))
	}
	if c.Receivers < 1 || c.Receivers > 64 {
		errs = append(errs, fmt.Errorf("receivers: %d, want 1 to 64", c.Receivers))
	}
	if c.TPS < 0 {
		errs = append(errs, fmt.Errorf("tps: %v, want ≥ 0", c.TPS))
	}
	if c.LongMessages > LongPayload {
		errs = append(errs, fmt.Errorf("long messages: %d, want udh, sar or payload", c.LongMessages))
	}
	if c.ResponseIDFormat > IDAsIs || c.ReceiptIDFormat > IDAsIs {
		errs = append(errs, errors.New("id formats: want auto, hex, decimal or as-is"))
	}
	if c.InboundPending < 1 {
		errs = append(errs, fmt.Errorf("inbound pending: %d, want ≥ 1", c.InboundPending))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"request timeout", c.RequestTimeout},
		{"enquire link", c.EnquireLink},
		{"throttle pause", c.ThrottlePause},
		{"queue full retry", c.QueueFullRetry},
		{"reconnect min", c.ReconnectMin},
		{"reconnect max", c.ReconnectMax},
		{"stable after", c.StableAfter},
		{"inbound timeout", c.InboundTimeout},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: %v, want > 0", d.name, d.v))
		}
	}
	if c.ReconnectMax < c.ReconnectMin {
		errs = append(errs, fmt.Errorf("reconnect max %v below reconnect min %v", c.ReconnectMax, c.ReconnectMin))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("smpp client config: %w", err)
	}
	return nil
}

// sessions returns the bind type of every session the config opens.
func (c ClientConfig) sessions() []BindType {
	if c.Mode == BindTransmitterReceiver {
		types := make([]BindType, 0, c.Binds+c.Receivers)
		for range c.Binds {
			types = append(types, BindTransmitter)
		}
		for range c.Receivers {
			types = append(types, BindReceiver)
		}
		return types
	}
	types := make([]BindType, c.Binds)
	for i := range types {
		types[i] = BindTransceiver
	}
	return types
}
