package smpp

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// ClientConfig describes one bind to a carrier's SMSC.
type ClientConfig struct {
	// Name names the carrier in receipts (carriers.Receipt.Carrier) and
	// logs. Required.
	Name string
	// Addr is the SMSC's host:port. Required.
	Addr string
	// SystemID (at most 15 octets), Password (at most 8) and SystemType
	// (at most 12) go into bind_transceiver.
	SystemID, Password, SystemType string
	// Window bounds the submit_sm in flight on the bind. Default 100.
	Window int
	// RequestTimeout bounds the wait for each response; a submit_sm
	// answered later than this is reported in doubt. Default 10s.
	RequestTimeout time.Duration
	// EnquireLink is the keepalive interval. Default 30s.
	EnquireLink time.Duration
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
	if c.RequestTimeout < 0 {
		errs = append(errs, fmt.Errorf("request timeout: %v, want > 0", c.RequestTimeout))
	}
	if c.EnquireLink < 0 {
		errs = append(errs, fmt.Errorf("enquire link: %v, want > 0", c.EnquireLink))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("smpp client config: %w", err)
	}
	return nil
}
