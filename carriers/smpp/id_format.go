package smpp

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/ternsms/tern/carriers"
)

// IDFormat says how a carrier writes its message ids in one place
// (submit_sm_resp, or receipts), so that the id tern records at submit
// and the one a receipt names normalize to the same key.
type IDFormat uint8

const (
	// IDAuto applies carriers.NormalizeID: digits are decimal, hex digits
	// with a letter are hex. It is right unless a carrier writes hex ids
	// that happen to hold no letter.
	IDAuto IDFormat = iota
	// IDHex reads ids as hexadecimal numbers.
	IDHex
	// IDDecimal reads ids as decimal numbers.
	IDDecimal
	// IDAsIs keeps ids exactly as written, spaces around them trimmed and
	// made printable (carriers.PrintableID).
	IDAsIs
)

var idFormatNames = [...]string{IDAuto: "auto", IDHex: "hex", IDDecimal: "decimal", IDAsIs: "as-is"}

func (f IDFormat) String() string {
	if int(f) < len(idFormatNames) {
		return idFormatNames[f]
	}
	return fmt.Sprintf("id_format(%d)", uint8(f))
}

// MarshalText writes the name ParseIDFormat reads.
func (f IDFormat) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads auto, hex, decimal or as-is.
func (f *IDFormat) UnmarshalText(b []byte) error {
	v, err := ParseIDFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// ParseIDFormat reads auto (or ""), hex, decimal (or dec) or as-is.
func ParseIDFormat(s string) (IDFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return IDAuto, nil
	case "hex":
		return IDHex, nil
	case "decimal", "dec":
		return IDDecimal, nil
	case "as-is", "asis", "raw":
		return IDAsIs, nil
	}
	return IDAuto, fmt.Errorf("id format %q: want auto, hex, decimal or as-is", s)
}

// Normalize returns the key of id written in format f. Numbers, read as
// hex or decimal, become decimal without leading zeros, however long, so
// a carrier that answers in hex and reports in decimal (or the reverse)
// yields one key. An id that is not a number in f's base falls back to
// carriers.NormalizeID.
func (f IDFormat) Normalize(id string) string {
	id = strings.TrimSpace(id)
	switch f {
	case IDAsIs:
		return carriers.PrintableID(id)
	case IDHex:
		return numberKey(id, 16)
	case IDDecimal:
		return numberKey(id, 10)
	}
	return carriers.NormalizeID(id)
}

// numberKey writes id, a number in base, in decimal.
func numberKey(id string, base int) string {
	if id == "" {
		return ""
	}
	digits := strings.TrimLeft(id, "0")
	if digits == "" {
		return "0"
	}
	if base == 10 && isDigits(digits) {
		return digits
	}
	var n big.Int
	if _, ok := n.SetString(digits, base); !ok {
		return carriers.NormalizeID(id)
	}
	return n.String()
}
