package link

import "strings"

// Span is one URL in a text: text[Start:End].
type Span struct {
	Start, End int
	URL        string
}

// maxURL bounds a URL that Find returns.
const maxURL = 2048

// Find returns the http and https URLs in text, outside template
// placeholders ({{…}}), in order. A URL runs to the first space, control
// character, quote, '<', '>', '{' or '}', less trailing punctuation
// (".,;:!?)]'"), the way messaging apps link them.
func Find(text string) []Span {
	var out []Span
	for i := 0; i < len(text); {
		if strings.HasPrefix(text[i:], "{{") {
			end := strings.Index(text[i+2:], "}}")
			if end < 0 {
				return out
			}
			i += 2 + end + 2
			continue
		}
		if !hasScheme(text[i:]) || (i > 0 && isWordByte(text[i-1])) {
			i++
			continue
		}
		j := i
		for j < len(text) && !stops(text[j]) && !strings.HasPrefix(text[j:], "{{") {
			j++
		}
		for j > i && strings.IndexByte(".,;:!?)]'", text[j-1]) >= 0 {
			j--
		}
		if u := text[i:j]; j-i <= maxURL && !strings.HasSuffix(u, "://") {
			out = append(out, Span{Start: i, End: j, URL: u})
		}
		i = max(j, i+1)
	}
	return out
}

func hasScheme(s string) bool {
	if len(s) >= 8 && strings.EqualFold(s[:8], "https://") {
		return len(s) > 8
	}
	return len(s) >= 7 && strings.EqualFold(s[:7], "http://") && len(s) > 7
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

func stops(b byte) bool {
	return b <= ' ' || b == 0x7f || strings.IndexByte("\"<>{}`", b) >= 0
}

// Replace returns text with each URL Find finds replaced by the
// placeholder of its index in urls, adding URLs not yet in urls; urls
// carries the list across a template's language variants, so that one
// URL keeps one index.
func Replace(text string, urls []string) (string, []string) {
	spans := Find(text)
	if len(spans) == 0 {
		return text, urls
	}
	var b strings.Builder
	last := 0
	for _, s := range spans {
		idx := -1
		for k, u := range urls {
			if u == s.URL {
				idx = k
				break
			}
		}
		if idx < 0 {
			idx, urls = len(urls), append(urls, s.URL)
		}
		b.WriteString(text[last:s.Start])
		b.WriteString("{{" + Placeholder(idx) + "}}")
		last = s.End
	}
	b.WriteString(text[last:])
	return b.String(), urls
}
