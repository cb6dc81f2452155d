package gsm

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

// Decode turns an SMPP payload back into text: data_coding 0x00 is read as
// unpacked GSM 03.38 septets, 0x08 as big-endian UCS-2/UTF-16, 0x01 and
// 0x03 as ASCII/Latin-1.
func Decode(dataCoding byte, b []byte) (string, error) {
	return decode(dataCoding, b, Default, Default)
}

func decode(dataCoding byte, b []byte, locking, single Language) (string, error) {
	switch dataCoding {
	case DataCodingGSM7:
		return DecodeSeptets(b, locking, single)
	case DataCodingUCS2:
		if len(b)%2 != 0 {
			return "", fmt.Errorf("ucs-2 payload of odd length %d: %w", len(b), ErrNotUCS2)
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return string(utf16.Decode(u)), nil
	case 0x01, 0x03:
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	return "", fmt.Errorf("data_coding 0x%02x: %w", dataCoding, ErrUnsupportedCoding)
}

// DecodeSeptets reads unpacked septets in the given locking and single
// shift tables (Default, Default for the default alphabet). As TS 23.038
// §6.2.1.1 says, an escape followed by a septet the single shift table
// does not define reads as that septet of the locking table, and an
// escape followed by another escape reads as a space.
func DecodeSeptets(b []byte, locking, single Language) (string, error) {
	lock, ext := locking.locking(), single.single()
	if lock == nil || ext == nil {
		return "", fmt.Errorf("tables %v/%v: %w", locking, single, ErrLanguage)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); i++ {
		s := b[i]
		if s > 0x7F {
			return "", fmt.Errorf("octet 0x%02x at %d: %w", s, i, ErrNotSeptet)
		}
		if s != esc {
			sb.WriteRune(lock.chars[s])
			continue
		}
		if i+1 == len(b) {
			return "", fmt.Errorf("escape at end of text: %w", ErrNotSeptet)
		}
		i++
		s = b[i] & 0x7F
		switch r := ext.chars[s]; {
		case r != 0:
			sb.WriteRune(r)
		case s == esc:
			sb.WriteByte(' ')
		default:
			sb.WriteRune(lock.chars[s])
		}
	}
	return sb.String(), nil
}

// Part is one received short_message, read.
type Part struct {
	UDH  UDH
	Text string
}

// DecodePart reads one short_message: its user data header when udhi
// (esm_class bit 0x40) is set, then its text in the header's national
// tables. packed tells that data_coding 0x00 septets are packed.
func DecodePart(dataCoding byte, udhi, packed bool, sm []byte) (Part, error) {
	var p Part
	body, udh := sm, 0
	if udhi {
		h, n, err := ParseUDH(sm)
		if err != nil {
			return p, err
		}
		p.UDH, body, udh = h, sm[n:], n
	}
	if dataCoding == DataCodingGSM7 && packed {
		body = unpack(body, fillBits(udh))
	}
	text, err := decode(dataCoding, body, p.UDH.Locking, p.UDH.Single)
	if err != nil {
		return p, err
	}
	p.Text = text
	return p, nil
}

// Reassemble joins the parts of one concatenated message, in any order,
// into its text. A single part without concatenation header is its own
// message. Missing or repeated parts and parts of different messages are
// ErrParts.
func Reassemble(parts []Part) (string, error) {
	if len(parts) == 1 && parts[0].UDH.Total == 0 {
		return parts[0].Text, nil
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("no parts: %w", ErrParts)
	}
	first := parts[0].UDH
	if first.Total != len(parts) {
		return "", fmt.Errorf("%d parts of a message of %d: %w", len(parts), first.Total, ErrParts)
	}
	sorted := slices.Clone(parts)
	slices.SortFunc(sorted, func(a, b Part) int { return a.UDH.Seq - b.UDH.Seq })
	var sb strings.Builder
	for i, p := range sorted {
		h := p.UDH
		if h.Ref != first.Ref || h.Ref16 != first.Ref16 || h.Total != first.Total {
			return "", fmt.Errorf("part %d has reference %d of %d, part 1 %d of %d: %w",
				h.Seq, h.Ref, h.Total, first.Ref, first.Total, ErrParts)
		}
		if h.Seq != i+1 {
			return "", fmt.Errorf("part %d missing or repeated: %w", i+1, ErrParts)
		}
		sb.WriteString(p.Text)
	}
	return sb.String(), nil
}
