package gsm

import "sort"

// lookAlike returns the GSM replacement smart encoding uses for r: a
// character of the default alphabet (or its extension table) that looks
// the same, "..." for an ellipsis, or "" for an invisible character that
// is dropped. ok is false when r has no replacement.
//
// The list holds typographic look-alikes only: quotes, dashes, spaces,
// invisible format characters and the Greek capitals that are drawn like
// Latin ones. It never changes a letter into another letter (no accent
// stripping): that would change the words, not their typography.
func lookAlike(r rune) (repl string, ok bool) {
	switch r {
	case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '\u2035', '\u02BC', '\u00B4', '`', '\uFF07':
		return "'", true
	case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033', '\u2036', '\u00AB', '\u00BB', '\uFF02':
		return `"`, true
	case '\u2039':
		return "<", true
	case '\u203A':
		return ">", true
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\u2043', '\uFE58', '\uFE63', '\uFF0D':
		return "-", true
	case '\u2022', '\u00B7', '\u2027', '\u2219':
		return "-", true
	case '\u2026':
		return "...", true
	case '\t', '\u00A0', '\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005',
		'\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u202F', '\u205F', '\u3000':
		return " ", true
	case '\u00AD', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return "", true
	case '\u02C6':
		return "^", true
	case '\u02DC', '\u223C':
		return "~", true
	case '\u2044', '\u2215':
		return "/", true
	case '\uFF01':
		return "!", true
	case '\uFF1F':
		return "?", true
	// Greek capitals drawn like Latin ones; the ten that differ are in
	// the default alphabet already.
	case 'Α':
		return "A", true
	case 'Β':
		return "B", true
	case 'Ε':
		return "E", true
	case 'Ζ':
		return "Z", true
	case 'Η':
		return "H", true
	case 'Ι':
		return "I", true
	case 'Κ':
		return "K", true
	case 'Μ':
		return "M", true
	case 'Ν':
		return "N", true
	case 'Ο':
		return "O", true
	case 'Ρ':
		return "P", true
	case 'Τ':
		return "T", true
	case 'Υ':
		return "Y", true
	case 'Χ':
		return "X", true
	}
	return "", false
}

// Replacement is one look-alike character smart encoding replaced.
type Replacement struct {
	// From is the character of the text.
	From rune
	// To is what was sent instead; "" when the character was dropped.
	To string
	// Count is how many times it occurred.
	Count int
}

// Replacements lists what smart encoding replaces when text is sent with
// opt, sorted by character; nil when nothing is replaced (smart encoding
// off, not needed, or unable to keep the text GSM-7).
func Replacements(text string, opt Options) []Replacement {
	p := choose(text, opt)
	if !p.smart || p.enc != GSM7 {
		return nil
	}
	var out []Replacement
	idx := map[rune]int{}
	for _, r := range text {
		if p.native(r) {
			continue
		}
		to, ok := lookAlike(r)
		if !ok {
			continue
		}
		if i, seen := idx[r]; seen {
			out[i].Count++
			continue
		}
		idx[r] = len(out)
		out = append(out, Replacement{From: r, To: to, Count: 1})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out
}

// Transliterate returns text as smart encoding sends it with opt: the
// look-alikes replaced when that keeps the text GSM-7, else text itself.
func Transliterate(text string, opt Options) string {
	p := choose(text, opt)
	if !p.smart || p.enc != GSM7 {
		return text
	}
	b := make([]byte, 0, len(text))
	for _, r := range text {
		if !p.native(r) {
			if to, ok := lookAlike(r); ok {
				b = append(b, to...)
				continue
			}
		}
		b = append(b, string(r)...)
	}
	return string(b)
}
