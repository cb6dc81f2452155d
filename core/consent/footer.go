package consent

import "strings"

// WithFooter returns a marketing text with p's opt-out footer on a line
// of its own, {brand} and {contact} filled in. The text is returned as
// it is when p has no footer, or when it already names STOP (in any
// case), so that a template that says how to stop is not told twice.
// Apply WithDefaults first, for the brand.
func (p Policy) WithFooter(text string) string {
	if p.OptOutFooter == "" || strings.Contains(strings.ToUpper(text), "STOP") {
		return text
	}
	footer := p.Text(p.OptOutFooter)
	if text == "" {
		return footer
	}
	return text + "\n" + footer
}
