package smpp

import (
	"fmt"
	"strings"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core/gsm"
)

// LongMode is how a carrier takes texts longer than one part.
type LongMode uint8

const (
	// LongUDH sends one submit_sm per part, each short_message starting
	// with a concatenation user data header (esm_class UDHI).
	LongUDH LongMode = iota
	// LongSAR sends one submit_sm per part with the sar_msg_ref_num,
	// sar_total_segments and sar_segment_seqnum parameters; the SMSC
	// builds the headers.
	LongSAR
	// LongPayload sends the whole text in one submit_sm's
	// message_payload parameter; the SMSC splits it.
	LongPayload
)

var longModeNames = [...]string{LongUDH: "udh", LongSAR: "sar", LongPayload: "payload"}

func (m LongMode) String() string {
	if int(m) < len(longModeNames) {
		return longModeNames[m]
	}
	return fmt.Sprintf("long_mode(%d)", uint8(m))
}

// MarshalText writes the name ParseLongMode reads.
func (m LongMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode as ParseLongMode does.
func (m *LongMode) UnmarshalText(b []byte) error {
	v, err := ParseLongMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ParseLongMode reads udh (or ""), sar or payload.
func ParseLongMode(s string) (LongMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "udh":
		return LongUDH, nil
	case "sar":
		return LongSAR, nil
	case "payload", "message_payload":
		return LongPayload, nil
	}
	return 0, fmt.Errorf("long message mode %q: want udh, sar or payload", s)
}

// maxParts is the most parts a concatenated message can number.
const maxParts = 255

// encode turns a submission into its submit_sm PDUs, one per part
// (one in all for LongPayload), in part order. ref is the concatenation
// reference of a multipart message.
func (cfg *ClientConfig) encode(s *carriers.Submission, ref uint16) ([]*SubmitSM, error) {
	var base SubmitSM
	if err := setBase(&base, s); err != nil {
		return nil, err
	}
	if s.Raw != nil {
		return encodeRaw(&base, s.Raw)
	}
	opt := s.Coding
	opt.Packed = opt.Packed || cfg.Packed

	// Whatever the mode, a one-part text travels as gsm.Split makes it,
	// with the header its national shift tables need, if any.
	msg := gsm.Split(s.Text, ref, opt)
	n := msg.Segments
	if n > maxParts || msg.Len() == 0 {
		return nil, fmt.Errorf("%d parts, at most %d: %w", n, maxParts, ErrTooLong)
	}
	base.DataCoding = msg.DataCoding
	if n == 1 || cfg.LongMessages == LongUDH {
		return encodeUDH(&base, &msg), nil
	}
	return cfg.encodeRebuilt(&base, s.Text, opt, ref)
}

// setBase sets the fields every PDU of s shares: its addresses, whether
// it asks for a receipt, and its validity.
func setBase(base *SubmitSM, s *carriers.Submission) error {
	base.Source, base.Dest = AddressOf(s.From), AddressOf(s.To)
	if s.RegisteredDelivery {
		base.RegisteredDelivery = RegisteredDeliveryFinal
	}
	if !s.ValidUntil.IsZero() {
		d := time.Until(s.ValidUntil)
		if d <= 0 {
			return ErrExpired
		}
		base.ValidityPeriod = RelativeTime(d)
	}
	return nil
}

// encodeRaw sends a text its sender encoded (a gateway customer) as one
// PDU, as it is: in short_message, or in message_payload when longer.
func encodeRaw(base *SubmitSM, r *carriers.Raw) ([]*SubmitSM, error) {
	m := new(SubmitSM)
	*m = *base
	m.DataCoding = r.DataCoding
	if r.UDHI {
		m.ESMClass |= ESMClassUDHI
	}
	switch {
	case len(r.ShortMessage) <= MaxShortMessage:
		m.ShortMessage = r.ShortMessage
	case len(r.ShortMessage) <= 0xFFFF:
		m.TLVs.Set(TagMessagePayload, r.ShortMessage)
	default:
		return nil, fmt.Errorf("raw message of %d octets: %w", len(r.ShortMessage), ErrTooLong)
	}
	return []*SubmitSM{m}, nil
}

// encodeUDH sends one PDU per part of msg, each short_message as
// gsm.Split made it, with its user data header.
func encodeUDH(base *SubmitSM, msg *gsm.Message) []*SubmitSM {
	if msg.UDHI {
		base.ESMClass |= ESMClassUDHI
	}
	pdus := make([]*SubmitSM, msg.Segments)
	for i, sm := range msg.Parts() {
		m := new(SubmitSM)
		*m = *base
		m.ShortMessage = sm
		pdus[i] = m
	}
	return pdus
}

// encodeRebuilt sends text in SAR parts or in one message_payload. These
// carry no concatenation header, only the national shift elements, so the
// parts are rebuilt from their septets.
func (cfg *ClientConfig) encodeRebuilt(base *SubmitSM, text string, opt gsm.Options, ref uint16) ([]*SubmitSM, error) {
	enc := gsm.Encode(text, opt)
	sh := shiftContent{
		hdr:    gsm.AppendUDH(nil, gsm.UDH{Locking: enc.Locking, Single: enc.Single}),
		packed: opt.Packed && enc.DataCoding == gsm.DataCodingGSM7,
	}
	if len(sh.hdr) > 0 {
		base.ESMClass |= ESMClassUDHI
	}
	if cfg.LongMessages == LongPayload {
		whole := make([]byte, 0, len(enc.Parts)*MaxShortMessage)
		for _, p := range enc.Parts {
			whole = append(whole, p...)
		}
		m := new(SubmitSM)
		*m = *base
		v := sh.content(whole, 0xFFFF)
		if len(v) > 0xFFFF {
			return nil, fmt.Errorf("message_payload of %d octets: %w", len(v), ErrTooLong)
		}
		m.TLVs.Set(TagMessagePayload, v)
		return []*SubmitSM{m}, nil
	}
	pdus := make([]*SubmitSM, len(enc.Parts))
	for i, p := range enc.Parts {
		m := new(SubmitSM)
		*m = *base
		m.ShortMessage = sh.content(p, 140)
		m.TLVs = make(TLVs, 0, 3)
		m.TLVs.SetUint16(TagSARMsgRefNum, ref)
		m.TLVs.SetUint8(TagSARTotalSegments, uint8(len(enc.Parts)))
		m.TLVs.SetUint8(TagSARSegmentSeqnum, uint8(i+1))
		pdus[i] = m
	}
	return pdus, nil
}

// shiftContent builds a rebuilt part: the national shift header, if any,
// then the part's septets (packed when the carrier takes them so) or
// UCS-2 octets.
type shiftContent struct {
	hdr    []byte
	packed bool
}

// content returns payload behind the header, in at most room octets.
func (sh shiftContent) content(payload []byte, room int) []byte {
	out := make([]byte, 0, len(sh.hdr)+len(payload))
	out = append(out, sh.hdr...)
	if sh.packed {
		return gsm.AppendPacked(out, payload, len(sh.hdr), room-len(sh.hdr))
	}
	return append(out, payload...)
}
