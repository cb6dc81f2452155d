package gsm

// Encoding is the alphabet a message travels in. The values equal the
// tern.v1 Encoding enum.
type Encoding uint8

const (
	GSM7 Encoding = 1
	UCS2 Encoding = 2
)

// MarshalText writes "GSM7" or "UCS2", the names the API and the CLI
// print.
func (e Encoding) MarshalText() ([]byte, error) {
	switch e {
	case GSM7:
		return []byte("GSM7"), nil
	case UCS2:
		return []byte("UCS2"), nil
	}
	return []byte("UNKNOWN"), nil
}

func (e Encoding) String() string {
	switch e {
	case GSM7:
		return "gsm7"
	case UCS2:
		return "ucs2"
	}
	return "unknown"
}

// SMPP data_coding values for the two encodings.
const (
	DataCodingGSM7 byte = 0x00 // SMSC default alphabet, read as GSM 03.38
	DataCodingUCS2 byte = 0x08
)

// Options change how a text is encoded and split. The zero value sends
// the text as given: the default alphabet if it can carry it, else UCS-2,
// with 8-bit concatenation references and unpacked septets.
type Options struct {
	// Ref16 uses a 16-bit concatenation reference (7-octet UDH: 152
	// septets or 66 units a part) instead of the 8-bit one (153 / 67).
	Ref16 bool
	// Smart replaces typographic look-alikes (curly quotes, dashes,
	// ellipsis, special spaces, Latin-looking Greek capitals) with GSM
	// characters when that keeps the text GSM-7. See Replacements.
	Smart bool
	// Languages are the national language shift tables (TS 23.038
	// annex A) the text may use. They are used only when they keep a
	// text GSM-7 that would otherwise be UCS-2 and give fewer parts,
	// counting the 3 UDH octets each table costs in every part.
	Languages Languages
	// Packed packs GSM-7 septets 8 into 7 octets in Split's output
	// (TS 23.038 §6.1.2.1), for carriers that expect data_coding 0x00
	// packed. It changes no count. Encode ignores it.
	Packed bool
}

// Info is what a text costs: its alphabet, its length in that alphabet's
// units and the number of parts tern sends it as.
type Info struct {
	Encoding Encoding `json:"encoding"`
	// Units is septets for GSM7 (escaped characters count 2), UTF-16
	// code units for UCS2 (characters outside the BMP count 2).
	Units    int `json:"units"`
	Segments int `json:"segments"`
	// Locking and Single are the national language tables used; Default
	// for the default alphabet and its extension table.
	Locking Language `json:"locking_shift,omitempty"`
	Single  Language `json:"single_shift,omitempty"`
	// Replaced counts the characters smart encoding replaced.
	Replaced int `json:"replaced,omitempty"`
}

func (p *plan) info() Info {
	return Info{
		Encoding: p.enc, Units: p.units, Segments: p.parts,
		Locking: p.lockLang, Single: p.singleLang, Replaced: p.replaced,
	}
}

// Analyze reports the encoding, length and part count of text without
// encoding it. The count is the number of parts Split and Encode make:
// whole grapheme clusters per part where they fit, never a split escape
// or surrogate pair. It does not allocate.
func Analyze(text string, opt Options) Info {
	p := choose(text, opt)
	return p.info()
}

// Encoded is a text ready for SMPP: its data_coding and the payload of each
// part, without user data headers. A single-part message has one payload.
type Encoded struct {
	Encoding   Encoding
	DataCoding byte
	// Parts hold unpacked septets (GSM7) or big-endian UTF-16 (UCS2).
	Parts [][]byte
	// Locking and Single are the national language tables the septets
	// are in; when not Default every part's UDH must carry them (see
	// AppendUDH).
	Locking Language
	Single  Language
}

// Encode encodes text and splits it into the parts Analyze counts. Split
// gives the same parts with their user data headers in one allocation.
func Encode(text string, opt Options) Encoded {
	opt.Packed = false
	m := Split(text, 0, opt)
	e := Encoded{
		Encoding: m.Encoding, DataCoding: m.DataCoding,
		Locking: m.Locking, Single: m.Single,
		Parts: make([][]byte, m.Len()),
	}
	for i := range e.Parts {
		sm := m.Part(i)
		e.Parts[i] = sm[m.udhLen(i):]
	}
	return e
}
