package gsm

// UCS2Chars returns the characters that make text go as UCS-2 under opt:
// each once, in order of first appearance, those the default alphabet
// and its extension table lack (and, with opt.Smart, that have no
// look-alike there either). Without them the text goes as GSM-7. Nil
// when text goes as GSM-7 already, national tables included.
func UCS2Chars(text string, opt Options) []rune {
	if choose(text, opt).enc != UCS2 {
		return nil
	}
	p := plan{enc: GSM7, lock: defaultAlphabet, single: defaultExtension, smart: opt.Smart}
	var out []rune
	seen := map[rune]bool{}
	for _, r := range text {
		if seen[r] {
			continue
		}
		seen[r] = true
		if _, ok := p.runeCost(r); !ok {
			out = append(out, r)
		}
	}
	return out
}
