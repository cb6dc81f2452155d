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
	base := SubmitSM{
		Source: AddressOf(s.From),
		Dest:   AddressOf(s.To),
	}
	if s.RegisteredDelivery {
		base.RegisteredDelivery = RegisteredDeliveryFinal
	}
	if !s.ValidUntil.IsZero() {
		d := time.Until(s.ValidUntil)
		if d <= 0 {
			return nil, ErrExpired
		}
		base.ValidityPeriod = RelativeTime(d)
	}
	if r := s.Raw; r != nil {
		// Encoded by the sender (a gateway customer): one PDU as it is.
		m := new(SubmitSM)
		*m = base
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
		if msg.UDHI {
			base.ESMClass |= ESMClassUDHI
		}
		pdus := make([]*SubmitSM, n)
		for i, sm := range msg.Parts() {
			m := new(SubmitSM)
			*m = base
			m.ShortMessage = sm
			pdus[i] = m
		}
		return pdus, nil
	}

	// SAR and payload carry no concatenation header, only the national
	// shift elements, so the parts are rebuilt from their septets.
	enc := gsm.Encode(s.Text, opt)
	hdr := gsm.AppendUDH(nil, gsm.UDH{Locking: enc.Locking, Single: enc.Single})
	if len(hdr) > 0 {
		base.ESMClass |= ESMClassUDHI
	}
	packed := opt.Packed && enc.DataCoding == gsm.DataCodingGSM7
	content := func(payload []byte, room int) []byte {
		out := make([]byte, 0, len(hdr)+len(payload))
		out = append(out, hdr...)
		if packed {
			return gsm.AppendPacked(out, payload, len(hdr), room-len(hdr))
		}
		return append(out, payload...)
	}
	if cfg.LongMessages == LongPayload {
		whole := make([]byte, 0, len(enc.Parts)*MaxShortMessage)
		for _, p := range enc.Parts {
			whole = append(whole, p...)
		}
		m := new(SubmitSM)
		*m = base
		v := content(whole, 0xFFFF)
		if len(v) > 0xFFFF {
			return nil, fmt.Errorf("message_payload of %d octets: %w", len(v), ErrTooLong)
		}
		m.TLVs.Set(TagMessagePayload, v)
		return []*SubmitSM{m}, nil
	}
	pdus := make([]*SubmitSM, len(enc.Parts))
	for i, p := range enc.Parts {
		m := new(SubmitSM)
		*m = base
		m.ShortMessage = content(p, 140)
		m.TLVs = make(TLVs, 0, 3)
		m.TLVs.SetUint16(TagSARMsgRefNum, ref)
		m.TLVs.SetUint8(TagSARTotalSegments, uint8(len(enc.Parts)))
		m.TLVs.SetUint8(TagSARSegmentSeqnum, uint8(i+1))
		pdus[i] = m
	}
	return pdus, nil
}
