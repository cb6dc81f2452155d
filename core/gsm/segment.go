package gsm

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding is the alphabet a message travels in. The values equal the
// tern.v1 Encoding enum.
type Encoding uint8

const (
	GSM7 Encoding = 1
	UCS2 Encoding = 2
)

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

// Limits per part, in septets (GSM7) or UTF-16 units (UCS2).
const (
	singleGSM7 = 160
	singleUCS2 = 70
	udh8Len    = 6 // 05 00 03 ref total seq
	udh16Len   = 7 // 06 08 04 ref ref total seq
)

// Options change how a text is encoded and split.
type Options struct {
	// Ref16 uses a 16-bit concatenation reference (7-octet UDH: 152
	// septets or 66 units a part) instead of the 8-bit one (153 / 67).
	Ref16 bool
}

// Info is what a text costs: its alphabet, its length in that alphabet's
// units and the number of parts tern sends it as.
type Info struct {
	Encoding Encoding
	// Units is septets for GSM7, UTF-16 code units for UCS2.
	Units    int
	Segments int
}

// perPart returns the payload capacity of one part of a concatenated
// message in units of enc.
func (o Options) perPart(enc Encoding) int {
	udh := udh8Len
	if o.Ref16 {
		udh = udh16Len
	}
	if enc == GSM7 {
		return (140*8 - udh*8) / 7 // 153 or 152 septets (UDH padded to septet boundary)
	}
	return (140 - udh) / 2 // 67 or 66 units
}

// Analyze reports the encoding, length and part count of text without
// encoding it. It does not allocate.
func Analyze(text string, opt Options) Info {
	if n, ok := gsmSeptets(text); ok {
		info := Info{Encoding: GSM7, Units: n, Segments: 1}
		if n > singleGSM7 {
			info.Segments = countGSMParts(text, opt.perPart(GSM7))
		}
		return info
	}
	n := 0
	for _, r := range text {
		n += utf16.RuneLen(r)
	}
	info := Info{Encoding: UCS2, Units: n, Segments: 1}
	if n > singleUCS2 {
		info.Segments = countUCS2Parts(text, opt.perPart(UCS2))
	}
	return info
}

// gsmSeptets returns the septet length of text and whether every rune is in
// the default alphabet or its extension table.
func gsmSeptets(text string) (int, bool) {
	n := 0
	for _, r := range text {
		c := septets(r)
		if c == 0 {
			return 0, false
		}
		n += c
	}
	return n, true
}

// countGSMParts counts parts of at most limit septets, never splitting an
// escape pair.
func countGSMParts(text string, limit int) int {
	parts, used := 1, 0
	for _, r := range text {
		c := septets(r)
		if used+c > limit {
			parts++
			used = 0
		}
		used += c
	}
	return parts
}

// countUCS2Parts counts parts of at most limit UTF-16 units, never
// splitting a surrogate pair.
func countUCS2Parts(text string, limit int) int {
	parts, used := 1, 0
	for _, r := range text {
		c := utf16.RuneLen(r)
		if used+c > limit {
			parts++
			used = 0
		}
		used += c
	}
	return parts
}

// Encoded is a text ready for SMPP: its data_coding and the payload of each
// part, without user data headers. A single-part message has one payload.
type Encoded struct {
	Encoding   Encoding
	DataCoding byte
	// Parts hold unpacked septets (GSM7) or big-endian UTF-16 (UCS2).
	Parts [][]byte
}

// Encode encodes text and splits it into the parts Analyze counts.
func Encode(text string, opt Options) Encoded {
	info := Analyze(text, opt)
	limit := singleGSM7
	if info.Encoding == UCS2 {
		limit = singleUCS2
	}
	if info.Segments > 1 {
		limit = opt.perPart(info.Encoding)
	}
	size := info.Units
	if info.Encoding == UCS2 {
		size *= 2
	}
	buf := make([]byte, 0, size)
	e := Encoded{Encoding: info.Encoding, DataCoding: DataCodingGSM7, Parts: make([][]byte, 0, info.Segments)}
	if info.Encoding == UCS2 {
		e.DataCoding = DataCodingUCS2
	}
	start, used := 0, 0
	for _, r := range text {
		var c int
		if info.Encoding == GSM7 {
			c = septets(r)
		} else {
			c = utf16.RuneLen(r)
		}
		if used+c > limit {
			e.Parts = append(e.Parts, buf[start:len(buf):len(buf)])
			start, used = len(buf), 0
		}
		used += c
		if info.Encoding == GSM7 {
			buf = appendSeptets(buf, r)
		} else {
			buf = appendUTF16(buf, r)
		}
	}
	e.Parts = append(e.Parts, buf[start:])
	return e
}

func appendSeptets(b []byte, r rune) []byte {
	if r < 128 && asciiSeptet[r] >= 0 {
		return append(b, byte(asciiSeptet[r]))
	}
	if s, ok := septetOf[r]; ok {
		return append(b, s)
	}
	return append(b, esc, extension[r])
}

func appendUTF16(b []byte, r rune) []byte {
	if r >= 0x10000 {
		r1, r2 := utf16.EncodeRune(r)
		return append(b, byte(r1>>8), byte(r1), byte(r2>>8), byte(r2))
	}
	if !utf8.ValidRune(r) {
		r = utf8.RuneError
	}
	return append(b, byte(r>>8), byte(r))
}

// AppendConcatUDH appends the user data header of part seq (1-based) of
// total parts with reference ref: an 8-bit reference (IEI 0x00) or, with
// ref16, a 16-bit one (IEI 0x08).
func AppendConcatUDH(dst []byte, ref uint16, total, seq int, ref16 bool) []byte {
	if ref16 {
		return append(dst, 0x06, 0x08, 0x04, byte(ref>>8), byte(ref), byte(total), byte(seq))
	}
	return append(dst, 0x05, 0x00, 0x03, byte(ref), byte(total), byte(seq))
}
