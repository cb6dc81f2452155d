package gsm

import (
	"fmt"
	"strings"
)

// Language is a national language identifier of TS 23.038 §6.2.1.2.4, as
// carried in the National Language Locking Shift (IEI 0x25) and Single
// Shift (IEI 0x24) user data header elements. Default means no national
// table: the default alphabet or its extension table.
type Language uint8

const (
	Default    Language = 0
	Turkish    Language = 1
	Spanish    Language = 2 // single shift table only: annex A.3.2 is void
	Portuguese Language = 3
)

// String returns the ISO 639-1 code of the language, or "default".
func (l Language) String() string {
	switch l {
	case Default:
		return "default"
	case Turkish:
		return "tr"
	case Spanish:
		return "es"
	case Portuguese:
		return "pt"
	}
	return fmt.Sprintf("language(%d)", uint8(l))
}

// locking returns the locking shift table of l, nil if the package has
// none for it. Default returns the default alphabet.
func (l Language) locking() *table {
	switch l {
	case Default:
		return defaultAlphabet
	case Turkish:
		return turkishLocking
	case Portuguese:
		return portugueseLocking
	}
	return nil
}

// single returns the single shift table of l, nil if the package has none
// for it. Default returns the default extension table.
func (l Language) single() *table {
	switch l {
	case Default:
		return defaultExtension
	case Turkish:
		return turkishSingle
	case Spanish:
		return spanishSingle
	case Portuguese:
		return portugueseSingle
	}
	return nil
}

// MarshalText writes the String form, for JSON.
func (l Language) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Languages is a set of national languages whose shift tables a message
// may use. The zero value allows none.
type Languages uint16

// AllLanguages holds every language the package has tables for.
const AllLanguages = Languages(1<<Turkish | 1<<Spanish | 1<<Portuguese)

// LanguagesOf returns the set holding ls.
func LanguagesOf(ls ...Language) Languages {
	var s Languages
	for _, l := range ls {
		if l != Default && l < 16 {
			s |= 1 << l
		}
	}
	return s
}

// Has reports whether l is in s.
func (s Languages) Has(l Language) bool { return l < 16 && s&(1<<l) != 0 }

// String returns the set as ParseLanguages reads it, e.g. "tr,es,pt".
func (s Languages) String() string {
	var b strings.Builder
	for l := Language(1); l < 16; l++ {
		if s.Has(l) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l.String())
		}
	}
	return b.String()
}

// MarshalText writes the String form, for JSON.
func (s Languages) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the ParseLanguages form, for configuration files.
func (s *Languages) UnmarshalText(b []byte) error {
	v, err := ParseLanguages(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseLanguages reads a comma-separated list of languages, as given to
// the --shift-tables flag or a tenant setting: ISO 639-1 codes or English
// names, any case ("tr,es,pt", "Turkish, Portuguese"). "all" selects every
// language the package has tables for; "" and "none" select none.
func ParseLanguages(s string) (Languages, error) {
	var set Languages
	for f := range strings.SplitSeq(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "", "none":
		case "all":
			set |= AllLanguages
		case "tr", "tur", "turkish":
			set |= 1 << Turkish
		case "es", "spa", "spanish":
			set |= 1 << Spanish
		case "pt", "por", "portuguese":
			set |= 1 << Portuguese
		default:
			return 0, fmt.Errorf("shift table %q: %w", strings.TrimSpace(f), ErrLanguage)
		}
	}
	return set, nil
}

// turkishLocking is the Turkish National Language Locking Shift Table
// (TS 23.038 annex A.3.1).
var turkishLocking = newLocking([128]rune{
	'@', '£', '$', '¥', '€', 'é', 'ù', 'ı', 'ò', 'Ç', '\n', 'Ğ', 'ğ', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 0, 'Ş', 'ş', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'İ', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'ç', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
})

// portugueseLocking is the Portuguese National Language Locking Shift
// Table (TS 23.038 annex A.3.3).
var portugueseLocking = newLocking([128]rune{
	'@', '£', '$', '¥', 'ê', 'é', 'ú', 'í', 'ó', 'ç', '\n', 'Ô', 'ô', '\r', 'Á', 'á',
	'Δ', '_', 'ª', 'Ç', 'À', '∞', '^', '\\', '€', 'Ó', '|', 0, 'Â', 'â', 'Ê', 'É',
	' ', '!', '"', '#', 'º', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'Í', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ã', 'Õ', 'Ú', 'Ü', '§',
	'~', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ã', 'õ', '`', 'ü', 'à',
})

// turkishSingle is the Turkish National Language Single Shift Table
// (TS 23.038 annex A.2.1).
var turkishSingle = newSingle(map[byte]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|',
	0x47: 'Ğ', 0x49: 'İ', 0x53: 'Ş',
	0x63: 'ç', 0x65: '€', 0x67: 'ğ', 0x69: 'ı', 0x73: 'ş',
})

// spanishSingle is the Spanish National Language Single Shift Table
// (TS 23.038 annex A.2.2).
var spanishSingle = newSingle(map[byte]rune{
	0x09: 'ç', 0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|',
	0x41: 'Á', 0x49: 'Í', 0x4F: 'Ó', 0x55: 'Ú',
	0x61: 'á', 0x65: '€', 0x69: 'í', 0x6F: 'ó', 0x75: 'ú',
})

// portugueseSingle is the Portuguese National Language Single Shift Table
// (TS 23.038 annex A.2.3).
var portugueseSingle = newSingle(map[byte]rune{
	0x05: 'ê', 0x09: 'ç', 0x0A: '\f', 0x0B: 'Ô', 0x0C: 'ô', 0x0E: 'Á', 0x0F: 'á',
	0x12: 'Φ', 0x13: 'Γ', 0x14: '^', 0x15: 'Ω', 0x16: 'Π', 0x17: 'Ψ', 0x18: 'Σ', 0x19: 'Θ',
	0x1F: 'Ê',
	0x28: '{', 0x29: '}', 0x2F: '\\', 0x3C: '[', 0x3D: '~', 0x3E: ']',
	0x40: '|', 0x41: 'À', 0x49: 'Í', 0x4F: 'Ó', 0x55: 'Ú', 0x5B: 'Ã', 0x5C: 'Õ',
	0x61: 'Â', 0x65: '€', 0x69: 'í', 0x6F: 'ó', 0x75: 'ú', 0x7B: 'ã', 0x7C: 'õ', 0x7F: 'â',
})
