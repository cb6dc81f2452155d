package smpp

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// TLV is one optional parameter: a tag and its raw value. Values of
// C-string parameters include their NUL terminator, as on the wire.
type TLV struct {
	Tag   Tag
	Value []byte
}

// TLVs are a PDU's optional parameters in wire order. Unknown tags are
// kept, so a PDU decodes and encodes back unchanged.
type TLVs []TLV

// Get returns the value of the first parameter with tag.
func (ts TLVs) Get(tag Tag) ([]byte, bool) {
	for _, t := range ts {
		if t.Tag == tag {
			return t.Value, true
		}
	}
	return nil, false
}

// Set replaces the value of the first parameter with tag, or appends one.
func (ts *TLVs) Set(tag Tag, value []byte) {
	for i := range *ts {
		if (*ts)[i].Tag == tag {
			(*ts)[i].Value = value
			return
		}
	}
	*ts = append(*ts, TLV{Tag: tag, Value: value})
}

// SetCString sets a C-string parameter, adding the NUL terminator.
func (ts *TLVs) SetCString(tag Tag, s string) {
	v := make([]byte, len(s)+1)
	copy(v, s)
	ts.Set(tag, v)
}

// SetUint8 sets a one-octet integer parameter.
func (ts *TLVs) SetUint8(tag Tag, v uint8) { ts.Set(tag, []byte{v}) }

// SetUint16 sets a two-octet integer parameter.
func (ts *TLVs) SetUint16(tag Tag, v uint16) {
	ts.Set(tag, binary.BigEndian.AppendUint16(nil, v))
}

// CString returns a C-string parameter without its terminator; a value
// that lacks the terminator is returned whole.
func (ts TLVs) CString(tag Tag) (string, bool) {
	v, ok := ts.Get(tag)
	if !ok {
		return "", false
	}
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return string(v), true
}

// Uint8 returns a one-octet integer parameter.
func (ts TLVs) Uint8(tag Tag) (uint8, bool) {
	v, ok := ts.Get(tag)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// Uint16 returns a two-octet integer parameter.
func (ts TLVs) Uint16(tag Tag) (uint16, bool) {
	v, ok := ts.Get(tag)
	if !ok || len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

// appendTLVs appends the parameters of a cmd PDU, refusing those
// checkTLV refuses (ErrFieldTooLong, with the status).
func appendTLVs(dst []byte, ts TLVs, cmd CommandID) ([]byte, error) {
	for _, t := range ts {
		if len(t.Value) > 0xFFFF {
			return dst, fmt.Errorf("%s: %d octets: %w", t.Tag, len(t.Value), ErrFieldTooLong)
		}
		if err := checkTLV(cmd, t); err != nil {
			return dst, fmt.Errorf("%w: %w", ErrFieldTooLong, err)
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(t.Tag))
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Value)))
		dst = append(dst, t.Value...)
	}
	return dst, nil
}

// decodeTLVs parses b as the parameters of a cmd PDU, checking known
// ones with checkTLV. Values share one copy of b, so the caller may reuse
// b.
func decodeTLVs(b []byte, cmd CommandID) (TLVs, error) {
	if len(b) == 0 {
		return nil, nil
	}
	n := 0
	for off := 0; off < len(b); n++ {
		if len(b)-off < 4 {
			return nil, malformed(StatusInvalidOptionalParamStream, "tlv header: %d octets left", len(b)-off)
		}
		tag := Tag(binary.BigEndian.Uint16(b[off:]))
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if off+4+l > len(b) {
			return nil, malformed(StatusInvalidOptionalParamStream, "tlv 0x%04x: length %d exceeds body", uint16(tag), l)
		}
		if err := checkTLV(cmd, TLV{Tag: tag, Value: b[off+4 : off+4+l]}); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		off += 4 + l
	}
	own := bytes.Clone(b)
	ts := make(TLVs, 0, n)
	for off := 0; off < len(own); {
		tag := Tag(binary.BigEndian.Uint16(own[off:]))
		l := int(binary.BigEndian.Uint16(own[off+2:]))
		var v []byte
		if l > 0 {
			v = own[off+4 : off+4+l : off+4+l]
		}
		ts = append(ts, TLV{Tag: tag, Value: v})
		off += 4 + l
	}
	return ts, nil
}
