package smpp

import (
	"bytes"
	"fmt"
	"strings"
)

// C-octet-string sizes of SMPP 3.4 (section 4), terminator included, as
// the specification writes them.
const (
	sizeSystemID     = 16
	sizePassword     = 9
	sizeSystemType   = 13
	sizeAddressRange = 41
	sizeServiceType  = 6
	sizeAddr         = 21 // source_addr and destination_addr of most PDUs
	sizeAddr65       = 65 // addresses of data_sm and alert_notification
	sizeTime         = 17 // schedule_delivery_time, validity_period, final_date
	sizeMessageID    = 65
	sizeDLName       = 21
)

// appendCString appends s and its NUL terminator. max counts the
// terminator, as the specification's field sizes do.
func appendCString(dst []byte, s string, max int, field string) ([]byte, error) {
	if len(s)+1 > max {
		return dst, fmt.Errorf("%s: %d octets, at most %d: %w", field, len(s), max-1, ErrFieldTooLong)
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return dst, fmt.Errorf("%s: NUL at %d: %w", field, i, ErrFieldTooLong)
	}
	dst = append(dst, s...)
	return append(dst, 0), nil
}

// appendAddress appends an address's ton, npi and C-string.
func appendAddress(dst []byte, a Address, max int, field string) ([]byte, error) {
	dst = append(dst, a.TON, a.NPI)
	return appendCString(dst, a.Addr, max, field)
}

// malformed builds a decode error that wraps ErrMalformed and the status
// to answer the PDU with.
func malformed(st CommandStatus, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %w", ErrMalformed, fmt.Sprintf(format, args...), st)
}

// bodyReader reads body fields in order. The first error sticks and
// later reads return zero values, so decoders read every field and check
// err once.
type bodyReader struct {
	b   []byte
	off int
	err error
}

// cstring reads a C-octet-string of at most max octets (terminator
// included); a longer one fails with st, the status that names the
// field (ESME_RINVSRCADR for source_addr, …).
func (r *bodyReader) cstring(field string, max int, st CommandStatus) string {
	if r.err != nil {
		return ""
	}
	rest := r.b[r.off:]
	i := bytes.IndexByte(rest[:min(len(rest), max)], 0)
	if i < 0 {
		if bytes.IndexByte(rest, 0) < 0 {
			r.err = malformed(StatusInvalidCmdLength, "%s: no NUL terminator", field)
		} else {
			r.err = malformed(st, "%s: longer than %d octets", field, max-1)
		}
		return ""
	}
	s := string(rest[:i])
	r.off += i + 1
	return s
}

// address reads ton, npi and an address of at most max octets.
func (r *bodyReader) address(field string, max int, st CommandStatus) Address {
	var a Address
	a.TON = r.byte(field + "_ton")
	a.NPI = r.byte(field + "_npi")
	a.Addr = r.cstring(field, max, st)
	return a
}

func (r *bodyReader) byte(field string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.err = malformed(StatusInvalidCmdLength, "%s: body too short", field)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

// bytes returns a copy of the next n bytes, nil when n is 0.
func (r *bodyReader) bytes(n int, field string) []byte {
	if r.err != nil || n == 0 {
		return nil
	}
	if r.off+n > len(r.b) {
		r.err = malformed(StatusInvalidMsgLength, "%s: %d octets announced, %d left", field, n, len(r.b)-r.off)
		return nil
	}
	c := make([]byte, n)
	copy(c, r.b[r.off:])
	r.off += n
	return c
}

// shortMessage reads sm_length and short_message.
func (r *bodyReader) shortMessage() []byte {
	n := r.byte("sm_length")
	if r.err == nil && int(n) > MaxShortMessage {
		r.err = malformed(StatusInvalidMsgLength, "sm_length %d over %d", n, MaxShortMessage)
		return nil
	}
	return r.bytes(int(n), "short_message")
}

// tlvs reads the rest of the body as the optional parameters of cmd.
func (r *bodyReader) tlvs(cmd CommandID) TLVs {
	if r.err != nil {
		return nil
	}
	t, err := decodeTLVs(r.b[r.off:], cmd)
	r.off = len(r.b)
	if err != nil {
		r.err = err
	}
	return t
}

// end fails when bytes remain that the layout has no place for.
func (r *bodyReader) end(cmd CommandID) error {
	if r.err == nil && r.off != len(r.b) {
		r.err = malformed(StatusInvalidCmdLength, "%s: %d trailing octets", cmd, len(r.b)-r.off)
	}
	return r.err
}

// appendShortMessage appends sm_length and short_message.
func appendShortMessage(dst, sm []byte) ([]byte, error) {
	if len(sm) > MaxShortMessage {
		return dst, fmt.Errorf("short_message: %d octets, at most %d: %w", len(sm), MaxShortMessage, ErrFieldTooLong)
	}
	dst = append(dst, byte(len(sm)))
	return append(dst, sm...), nil
}
