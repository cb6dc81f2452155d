package gsm

import (
	"iter"
	"unicode/utf8"
)

// Message is a text split into the short_message values SMPP carries,
// user data header included. Build it with Split or AppendSplit.
type Message struct {
	Info
	// DataCoding is the SMPP data_coding of every part.
	DataCoding byte
	// UDHI tells that every part starts with a user data header: set
	// esm_class bit 0x40 (UDHI) on each submit_sm.
	UDHI bool
	// Packed tells that GSM-7 septets are packed (Options.Packed).
	Packed bool

	udhSingle, udhConcat int
	// buf holds, for each part, the big-endian uint16 offset where it
	// ends, then the parts back to back.
	buf []byte
}

// Split encodes text as opt says and splits it into parts, each a complete
// short_message: the user data header (concatenation with reference ref,
// and national language shifts) followed by the payload. The parts are
// those Analyze counts. It makes one allocation.
func Split(text string, ref uint16, opt Options) Message {
	return AppendSplit(nil, text, ref, opt)
}

// AppendSplit is Split writing into buf's storage when it is large
// enough, so a caller that reuses buf makes no allocation. The Message
// refers to that storage until buf is reused.
func AppendSplit(buf []byte, text string, ref uint16, opt Options) Message {
	w := writer{p: choose(text, opt), ref: ref}
	p := &w.p
	m := Message{
		Info:       p.info(),
		DataCoding: DataCodingGSM7,
		Packed:     opt.Packed && p.enc == GSM7,
		udhSingle:  p.udhSingle,
		udhConcat:  p.udhConcat,
	}
	if p.enc == UCS2 {
		m.DataCoding = DataCodingUCS2
	}
	if p.parts > maxParts {
		// More than a UDH can number: not sendable. Info reports the
		// count; the Message has no parts.
		return m
	}
	udh := p.udhSingle
	if p.parts > 1 {
		udh = p.udhConcat
	}
	m.UDHI = udh > 0
	payload := p.units
	if p.enc == UCS2 {
		payload *= 2
	}
	size := 2*p.parts + p.parts*udh + payload
	if m.Packed {
		size += 2 * p.parts
	}
	if cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	w.buf, w.packed, w.udh = buf[:2*p.parts], m.Packed, udh
	w.begin()
	if p.parts == 1 || p.ascii && p.enc == GSM7 && !p.smart && p.lock == defaultAlphabet {
		w.fastWalk(text)
	} else {
		k := packer{limit: p.concatCap, parts: 1}
		if p.parts == 1 {
			k.limit = p.singleCap
		}
		p.walk(text, &k, &w)
	}
	w.end()
	m.buf = w.buf
	return m
}

// Len returns the number of parts.
func (m *Message) Len() int {
	if m.buf == nil {
		return 0
	}
	return m.Segments
}

// Part returns the short_message of part i (0-based). It aliases the
// Message's storage.
func (m *Message) Part(i int) []byte {
	hdr := 2 * m.Segments
	start := hdr
	if i > 0 {
		start = hdr + (int(m.buf[2*i-2])<<8 | int(m.buf[2*i-1]))
	}
	end := hdr + (int(m.buf[2*i])<<8 | int(m.buf[2*i+1]))
	return m.buf[start:end:end]
}

// Parts iterates over the parts in order.
func (m *Message) Parts() iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		for i := range m.Len() {
			if !yield(i, m.Part(i)) {
				return
			}
		}
	}
}

// udhLen returns the UDH octets at the start of part i.
func (m *Message) udhLen(int) int {
	if m.Segments > 1 {
		return m.udhConcat
	}
	return m.udhSingle
}

// writer encodes the walk's runes into a Message's storage.
type writer struct {
	p      plan
	buf    []byte
	ref    uint16
	packed bool
	udh    int
	seq    int // current part, 1-based
	start  int // offset in buf of the current part's payload
}

func (w *writer) begin() {
	w.seq++
	h := UDH{Locking: w.p.lockLang, Single: w.p.singleLang}
	if w.p.parts > 1 {
		h.Total, h.Seq, h.Ref, h.Ref16 = w.p.parts, w.seq, w.ref, w.p.ref16
	}
	w.buf = AppendUDH(w.buf, h)
	w.start = len(w.buf)
}

func (w *writer) end() {
	if w.packed {
		var tmp [160]byte
		n := copy(tmp[:], w.buf[w.start:])
		w.buf = appendPacked(w.buf[:w.start], tmp[:n], fillBits(w.udh), 140-w.udh)
	}
	off := len(w.buf) - 2*w.p.parts
	w.buf[2*w.seq-2], w.buf[2*w.seq-1] = byte(off>>8), byte(off)
}

func (w *writer) cut() {
	w.end()
	w.begin()
}

func (w *writer) rune(r rune) {
	if w.p.enc == UCS2 {
		if r >= 0x10000 && r <= utf8.MaxRune {
			r -= 0x10000
			r1, r2 := 0xD800+(r>>10)&0x3FF, 0xDC00+r&0x3FF
			w.buf = append(w.buf, byte(r1>>8), byte(r1), byte(r2>>8), byte(r2))
			return
		}
		w.buf = append(w.buf, byte(r>>8), byte(r))
		return
	}
	if s, ok := w.p.lock.septet(r); ok {
		w.buf = append(w.buf, s)
		return
	}
	s, _ := w.p.single.septet(r)
	w.buf = append(w.buf, esc, s)
}

// fastWalk encodes text when no grapheme cluster can span runes at a
// part boundary: a single part, or ASCII without CR under the default
// alphabet.
func (w *writer) fastWalk(text string) {
	p := &w.p
	limit := p.concatCap
	if p.parts == 1 {
		limit = 1 << 30
	}
	used := 0
	if p.enc == GSM7 && p.lock == defaultAlphabet && p.single == defaultExtension && !p.smart {
		buf := w.buf
		for i := 0; i < len(text); i++ {
			c := text[i]
			if c >= utf8.RuneSelf {
				// Single part only (multi-part texts here are ASCII):
				// no limit to check.
				r, n := utf8.DecodeRuneInString(text[i:])
				i += n - 1
				w.buf = buf
				w.rune(r)
				buf = w.buf
				continue
			}
			cost := int(asciiCost[c])
			if used+cost > limit {
				w.buf = buf
				w.cut()
				buf = w.buf
				used = 0
			}
			used += cost
			if cost == 2 {
				buf = append(buf, esc)
			}
			buf = append(buf, asciiSeptet[c])
		}
		w.buf = buf
		return
	}
	if p.enc == UCS2 {
		buf := w.buf
		for _, r := range text {
			if r >= 0x10000 {
				r -= 0x10000
				r1, r2 := 0xD800+(r>>10)&0x3FF, 0xDC00+r&0x3FF
				buf = append(buf, byte(r1>>8), byte(r1), byte(r2>>8), byte(r2))
				continue
			}
			buf = append(buf, byte(r>>8), byte(r))
		}
		w.buf = buf
		return
	}
	for _, r := range text {
		p.emit(r, w)
	}
}

// Buffer returns the storage of m, to hand back to AppendSplit for the
// next message once m is no longer used.
func (m *Message) Buffer() []byte { return m.buf[:0] }
