package gsm

import (
	"unicode/utf16"
	"unicode/utf8"
)

// maxParts is the most parts a concatenated message can have: the part
// count is one octet in the UDH.
const maxParts = 255

// plan is how one text is sent: its alphabet, the tables, whether
// look-alikes are replaced, and the user data header every part carries.
type plan struct {
	enc          Encoding
	lockLang     Language
	singleLang   Language
	lock, single *table
	smart        bool
	ref16        bool
	shiftIEs     int // national language IEs in every part's UDH (0-2)
	units        int
	parts        int
	replaced     int
	ascii        bool // measured text is ASCII without CR: one rune a cluster
	singleCap    int  // capacity of a lone part, in units
	concatCap    int  // capacity of each part of a concatenated message
	udhSingle    int  // UDH octets (with the length octet) of a lone part; 0 for none
	udhConcat    int  // UDH octets of each part of a concatenated message
}

// udhLen returns the UDH octets, length octet included, of a part with
// the given number of shift IEs, concatenated or not.
func udhLen(shiftIEs int, concat, ref16 bool) int {
	n := 3 * shiftIEs
	if concat {
		if ref16 {
			n += 6
		} else {
			n += 5
		}
	}
	if n == 0 {
		return 0
	}
	return n + 1
}

// capacity returns how many units fit in a part whose UDH takes udh octets.
func capacity(enc Encoding, udh int) int {
	if enc == GSM7 {
		return (140 - udh) * 8 / 7
	}
	return (140 - udh) / 2
}

func (p *plan) setUDH() {
	p.udhSingle = udhLen(p.shiftIEs, false, p.ref16)
	p.udhConcat = udhLen(p.shiftIEs, true, p.ref16)
	p.singleCap = capacity(p.enc, p.udhSingle)
	p.concatCap = capacity(p.enc, p.udhConcat)
}

// native reports whether r is sent as itself under p.
func (p *plan) native(r rune) bool {
	if p.enc != GSM7 {
		return true
	}
	if _, ok := p.lock.septet(r); ok {
		return true
	}
	_, ok := p.single.septet(r)
	return ok
}

// runeCost returns the units r costs under p and whether p can send it.
// A look-alike replacement costs what its characters cost.
func (p *plan) runeCost(r rune) (int, bool) {
	if p.enc == UCS2 {
		if r >= 0x10000 && r <= utf8.MaxRune {
			return 2, true
		}
		return 1, true
	}
	if _, ok := p.lock.septet(r); ok {
		return 1, true
	}
	if _, ok := p.single.septet(r); ok {
		return 2, true
	}
	if !p.smart {
		return 0, false
	}
	repl, ok := lookAlike(r)
	if !ok {
		return 0, false
	}
	n := 0
	for _, c := range repl {
		if _, ok := p.lock.septet(c); ok {
			n++
		} else if _, ok := p.single.septet(c); ok {
			n += 2
		} else {
			return 0, false
		}
	}
	return n, true
}

// packer assigns units to parts: whole grapheme clusters while they fit,
// a cluster larger than a part rune by rune (never splitting an escape
// pair, a surrogate pair or a look-alike replacement).
type packer struct {
	limit int
	used  int
	parts int
}

// fits reports whether a cluster of cost c goes whole into the current
// part, starting a new part when it fits there but not here.
func (k *packer) fits(c int) bool {
	if k.used+c <= k.limit {
		k.used += c
		return true
	}
	if c <= k.limit {
		k.parts++
		k.used = c
		return true
	}
	return false
}

// atom places an indivisible unit of cost c, and reports whether it
// started a new part.
func (k *packer) atom(c int) bool {
	if k.used+c > k.limit && k.used > 0 {
		k.parts++
		k.used = c
		return true
	}
	k.used += c
	return false
}

// measure sets p.units and p.replaced and reports whether p can send
// text.
func (p *plan) measure(text string) bool {
	units, replaced := 0, 0
	if p.enc == UCS2 {
		for _, r := range text {
			units += utf16.RuneLen(r)
		}
		p.units = units
		return true
	}
	fast := p.lock == defaultAlphabet && p.single == defaultExtension
	p.ascii = true
	for i := 0; i < len(text); {
		if c := text[i]; fast && c < utf8.RuneSelf && asciiCost[c] != 0 {
			units += int(asciiCost[c])
			if c == '\r' {
				p.ascii = false
			}
			i++
			continue
		}
		r, n := decodeRune(text[i:])
		i += n
		if r >= utf8.RuneSelf || r == '\r' {
			p.ascii = false
		}
		c, ok := p.runeCost(r)
		if !ok {
			return false
		}
		if p.smart && !p.native(r) {
			replaced++
		}
		units += c
	}
	p.units, p.replaced = units, replaced
	return true
}

// countParts sets p.parts: 1 when the text fits a lone part, else the
// number of concatenated parts the packer makes.
func (p *plan) countParts(text string) {
	if p.units <= p.singleCap {
		p.parts = 1
		return
	}
	if p.ascii && p.lock == defaultAlphabet && p.single == defaultExtension {
		// Every character is its own cluster and costs asciiCost.
		limit, used, parts := p.concatCap, 0, 1
		for i := 0; i < len(text); i++ {
			c := int(asciiCost[text[i]])
			if used+c > limit {
				parts++
				used = 0
			}
			used += c
		}
		p.parts = parts
		return
	}
	k := packer{limit: p.concatCap, parts: 1}
	p.walk(text, &k, nil)
	p.parts = k.parts
}

// walk packs text into parts of k.limit units, handing e (if not nil)
// every rune sent and every part boundary.
func (p *plan) walk(text string, k *packer, e *writer) {
	for i := 0; i < len(text); {
		r, n := decodeRune(text[i:])
		cl := n
		if i+n < len(text) {
			cl = clusterLen(text[i:], r, n)
		}
		if cl == n {
			c, _ := p.runeCost(r)
			if k.atom(c) && e != nil {
				e.cut()
			}
			if e != nil {
				p.emit(r, e)
			}
			i += n
			continue
		}
		cluster := text[i : i+cl]
		c := 0
		for _, r := range cluster {
			rc, _ := p.runeCost(r)
			c += rc
		}
		before := k.parts
		if k.fits(c) {
			if k.parts != before && e != nil {
				e.cut()
			}
			if e != nil {
				for _, r := range cluster {
					p.emit(r, e)
				}
			}
		} else {
			for _, r := range cluster {
				rc, _ := p.runeCost(r)
				if k.atom(rc) && e != nil {
					e.cut()
				}
				if e != nil {
					p.emit(r, e)
				}
			}
		}
		i += cl
	}
}

// emit hands r, or its look-alike replacement, to e.
func (p *plan) emit(r rune, e *writer) {
	if p.enc == GSM7 && p.smart && !p.native(r) {
		repl, _ := lookAlike(r)
		for _, c := range repl {
			e.rune(c)
		}
		return
	}
	e.rune(r)
}

// choose picks how text is sent under opt and measures it: the default
// alphabet if it can carry the text (with look-alikes replaced when opt
// asks for smart encoding), else the national shift tables of
// opt.Languages that keep it GSM-7 in the fewest parts — only when that
// is fewer parts than UCS-2 — else UCS-2.
func choose(text string, opt Options) plan {
	base := plan{enc: GSM7, lock: defaultAlphabet, single: defaultExtension, ref16: opt.Ref16}
	base.setUDH()
	if base.measure(text) {
		base.countParts(text)
		return base
	}
	if opt.Smart {
		base.smart = true
		if base.measure(text) {
			base.countParts(text)
			return base
		}
	}
	ucs := plan{enc: UCS2, ref16: opt.Ref16}
	ucs.setUDH()
	ucs.measure(text)
	ucs.countParts(text)
	if opt.Languages&AllLanguages == 0 {
		return ucs
	}
	best := ucs
	for _, ll := range []Language{Default, Turkish, Portuguese} {
		if ll != Default && !opt.Languages.Has(ll) {
			continue
		}
		for _, sl := range []Language{Default, Turkish, Spanish, Portuguese} {
			if ll == Default && sl == Default || sl != Default && !opt.Languages.Has(sl) {
				continue
			}
			c := plan{enc: GSM7, lockLang: ll, singleLang: sl, lock: ll.locking(), single: sl.single(),
				smart: opt.Smart, ref16: opt.Ref16}
			if ll != Default {
				c.shiftIEs++
			}
			if sl != Default {
				c.shiftIEs++
			}
			c.setUDH()
			if !c.measure(text) {
				continue
			}
			c.countParts(text)
			if c.parts < best.parts || best.enc == GSM7 && c.parts == best.parts &&
				(c.shiftIEs < best.shiftIEs || c.shiftIEs == best.shiftIEs && c.units < best.units) {
				best = c
			}
		}
	}
	return best
}
