package gsm

import "fmt"

// Information element identifiers of TS 23.040 §9.2.3.24 that tern reads
// and writes.
const (
	ieiConcat8   = 0x00 // concatenated short messages, 8-bit reference
	ieiConcat16  = 0x08 // concatenated short messages, 16-bit reference
	ieiSingle    = 0x24 // national language single shift
	ieiLocking   = 0x25 // national language locking shift
	maxUDHOctets = 140
)

// UDH is a parsed user data header (TS 23.040 §9.2.3.24), the elements
// tern uses: concatenation and national language shift tables.
type UDH struct {
	// Total and Seq are the part count and this part's number (1-based);
	// Total is 0 when the message is not concatenated.
	Total, Seq int
	// Ref is the concatenation reference, 8 or 16 bits wide.
	Ref   uint16
	Ref16 bool
	// Locking and Single are the national language tables of the
	// septets; Default when the header names none.
	Locking Language
	Single  Language
}

// Len returns the octets h takes, its length octet included; 0 when h
// has no element (no header is sent).
func (h UDH) Len() int {
	n := 0
	if h.Total > 0 {
		n += 5
		if h.Ref16 {
			n++
		}
	}
	if h.Locking != Default {
		n += 3
	}
	if h.Single != Default {
		n += 3
	}
	if n == 0 {
		return 0
	}
	return n + 1
}

// AppendUDH appends h (length octet first) to dst; nothing when h has no
// element.
func AppendUDH(dst []byte, h UDH) []byte {
	n := h.Len()
	if n == 0 {
		return dst
	}
	dst = append(dst, byte(n-1))
	if h.Total > 0 {
		if h.Ref16 {
			dst = append(dst, ieiConcat16, 4, byte(h.Ref>>8), byte(h.Ref), byte(h.Total), byte(h.Seq))
		} else {
			dst = append(dst, ieiConcat8, 3, byte(h.Ref), byte(h.Total), byte(h.Seq))
		}
	}
	if h.Locking != Default {
		dst = append(dst, ieiLocking, 1, byte(h.Locking))
	}
	if h.Single != Default {
		dst = append(dst, ieiSingle, 1, byte(h.Single))
	}
	return dst
}

// ParseUDH reads the user data header at the start of sm (the
// short_message of a part whose esm_class has UDHI set) and returns it
// with the number of octets it takes. Elements other than concatenation
// and national language shifts are skipped; a malformed header, a
// concatenation element with part 0 or a part number above the count,
// and a shift to a language without tables are errors.
func ParseUDH(sm []byte) (UDH, int, error) {
	var h UDH
	if len(sm) == 0 {
		return h, 0, fmt.Errorf("empty user data: %w", ErrUDH)
	}
	n := int(sm[0]) + 1
	if n > len(sm) || n > maxUDHOctets {
		return h, 0, fmt.Errorf("header length %d over %d octets of user data: %w", n, len(sm), ErrUDH)
	}
	ies := sm[1:n]
	for len(ies) > 0 {
		if len(ies) < 2 || int(ies[1])+2 > len(ies) {
			return h, 0, fmt.Errorf("information element 0x%02x overruns the header: %w", ies[0], ErrUDH)
		}
		iei, data := ies[0], ies[2:2+int(ies[1])]
		ies = ies[2+int(ies[1]):]
		switch iei {
		case ieiConcat8, ieiConcat16:
			want := 3
			if iei == ieiConcat16 {
				want = 4
			}
			if len(data) != want {
				return h, 0, fmt.Errorf("concatenation element of %d octets: %w", len(data), ErrUDH)
			}
			if iei == ieiConcat16 {
				h.Ref, h.Ref16, data = uint16(data[0])<<8|uint16(data[1]), true, data[2:]
			} else {
				h.Ref, h.Ref16, data = uint16(data[0]), false, data[1:]
			}
			h.Total, h.Seq = int(data[0]), int(data[1])
			if h.Total == 0 || h.Seq == 0 || h.Seq > h.Total {
				return h, 0, fmt.Errorf("part %d of %d: %w", h.Seq, h.Total, ErrUDH)
			}
		case ieiLocking, ieiSingle:
			if len(data) != 1 {
				return h, 0, fmt.Errorf("shift element of %d octets: %w", len(data), ErrUDH)
			}
			l := Language(data[0])
			if iei == ieiLocking {
				if l.locking() == nil {
					return h, 0, fmt.Errorf("locking shift to language %d: %w", data[0], ErrLanguage)
				}
				h.Locking = l
			} else {
				if l.single() == nil {
					return h, 0, fmt.Errorf("single shift to language %d: %w", data[0], ErrLanguage)
				}
				h.Single = l
			}
		}
	}
	return h, n, nil
}
