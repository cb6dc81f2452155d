package gsm

// esc is the GSM 03.38 escape to the extension table.
const esc = 0x1B

// basic is the GSM 03.38 default alphabet, indexed by septet.
// Septet 0x1B is the escape and has no character of its own.
var basic = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 0x1B, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// extension is the GSM 03.38 default extension table: each character costs
// the escape septet plus the septet given here.
var extension = map[rune]byte{
	'\f': 0x0A,
	'^':  0x14,
	'{':  0x28,
	'}':  0x29,
	'\\': 0x2F,
	'[':  0x3C,
	'~':  0x3D,
	']':  0x3E,
	'|':  0x40,
	'€':  0x65,
}

// septetOf maps runes of the default alphabet to their septet. Built once
// from basic; lookups for ASCII go through asciiSeptet instead.
var (
	septetOf    = map[rune]byte{}
	asciiSeptet [128]int16 // -1: not in the default alphabet (maybe extension)
	extRune     [128]rune  // extension septet -> rune, 0 if none
)

func init() {
	for i := range asciiSeptet {
		asciiSeptet[i] = -1
	}
	for i, r := range basic {
		if i == esc {
			continue
		}
		septetOf[r] = byte(i)
		if r < 128 {
			asciiSeptet[r] = int16(i)
		}
	}
	for r, s := range extension {
		extRune[s] = r
	}
}

// septets returns how many septets r costs in the default alphabet and its
// extension table, or 0 if r is not in either.
func septets(r rune) int {
	if r < 128 {
		if asciiSeptet[r] >= 0 {
			return 1
		}
	} else if _, ok := septetOf[r]; ok {
		return 1
	}
	if _, ok := extension[r]; ok {
		return 2
	}
	return 0
}
