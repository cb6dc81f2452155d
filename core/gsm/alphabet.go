package gsm

// esc is the escape septet (0x1B): the next septet is read from the single
// shift table (the default alphabet extension table unless a national
// single shift table is in use).
const esc = 0x1B

// lowRunes is the size of the direct rune index of a table. It covers
// Latin-1 and Latin Extended-A, which hold every character of the tables
// here below U+0391 (the Turkish Ğ ğ İ ı Ş ş included).
const lowRunes = 0x180

// table is one 128-entry GSM 7 bit table: the default alphabet, the
// default extension table, or a national locking or single shift table
// (3GPP TS 23.038 §6.2.1, §6.2.1.1 and annex A).
type table struct {
	// chars maps a septet to its character; 0 where the table defines
	// none (the escape, reserved and empty positions).
	chars [128]rune
	// low maps runes below lowRunes to septet+1 (0: not in the table).
	low [lowRunes]uint8
	// high lists the table's characters at or above lowRunes.
	high []highRune
}

type highRune struct {
	r rune
	s byte
}

// septet returns the septet of r in t.
func (t *table) septet(r rune) (byte, bool) {
	if r < lowRunes {
		if r < 0 {
			return 0, false
		}
		v := t.low[r]
		return v - 1, v != 0
	}
	for _, h := range t.high {
		if h.r == r {
			return h.s, true
		}
	}
	return 0, false
}

// newLocking builds a table from all 128 positions; 0 marks no character.
func newLocking(chars [128]rune) *table {
	t := &table{chars: chars}
	for s, r := range chars {
		t.add(r, byte(s))
	}
	return t
}

// newSingle builds a single shift table from its defined positions.
func newSingle(entries map[byte]rune) *table {
	t := &table{}
	for s, r := range entries {
		t.chars[s] = r
	}
	for s, r := range t.chars {
		t.add(r, byte(s))
	}
	return t
}

func (t *table) add(r rune, s byte) {
	switch {
	case r == 0:
	case r < lowRunes:
		if t.low[r] == 0 {
			t.low[r] = s + 1
		}
	default:
		t.high = append(t.high, highRune{r, s})
	}
}

// defaultAlphabet is the GSM 7 bit default alphabet (TS 23.038 §6.2.1),
// indexed by septet. 0x1B is the escape to the extension table.
var defaultAlphabet = newLocking([128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 0, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
})

// defaultExtension is the GSM 7 bit default alphabet extension table
// (TS 23.038 §6.2.1.1): each of its characters costs the escape septet
// plus the septet given here. 0x0D (CR2) and 0x1B (SS2) are reserved and
// carry no character.
var defaultExtension = newSingle(map[byte]rune{
	0x0A: '\f', // page break
	0x14: '^',
	0x28: '{',
	0x29: '}',
	0x2F: '\\',
	0x3C: '[',
	0x3D: '~',
	0x3E: ']',
	0x40: '|',
	0x65: '€',
})

// asciiCost and asciiSeptet give, for each ASCII character, its septets
// in the default alphabet and extension table (0: not in either) and its
// septet (the second one for an escaped character).
var asciiCost, asciiSeptet = func() (cost, septet [128]uint8) {
	for c := range rune(128) {
		if s, ok := defaultAlphabet.septet(c); ok {
			cost[c], septet[c] = 1, s
		} else if s, ok := defaultExtension.septet(c); ok {
			cost[c], septet[c] = 2, s
		}
	}
	return cost, septet
}()
