package gsm

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// Decode turns an SMPP payload back into text: data_coding 0x00 is read as
// unpacked GSM 03.38 septets, 0x08 as big-endian UCS-2/UTF-16, 0x01 and
// 0x03 as ASCII/Latin-1.
func Decode(dataCoding byte, b []byte) (string, error) {
	switch dataCoding {
	case DataCodingGSM7:
		return decodeSeptets(b)
	case DataCodingUCS2:
		if len(b)%2 != 0 {
			return "", fmt.Errorf("ucs-2 payload of odd length %d", len(b))
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

func decodeSeptets(b []byte) (string, error) {
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); i++ {
		s := b[i]
		if s > 0x7F {
			return "", fmt.Errorf("octet 0x%02x at %d: %w", s, i, ErrNotSeptet)
		}
		if s != esc {
			sb.WriteRune(basic[s])
			continue
		}
		if i+1 == len(b) {
			return "", fmt.Errorf("escape at end of text: %w", ErrNotSeptet)
		}
		i++
		if r := extRune[b[i]&0x7F]; r != 0 {
			sb.WriteRune(r)
		} else {
			// TS 23.038: an undefined extension character is shown as a space.
			sb.WriteRune(' ')
		}
	}
	return sb.String(), nil
}
