package pipeline

import (
	"strings"
	"unicode/utf8"
)

// StoredText returns s as a PostgreSQL text column can hold it: a NUL is
// written as the four characters \x00 (as Go's %q writes it), and bytes
// that are not UTF-8 as U+FFFD. Any other string comes back unchanged.
// Text from outside (carriers' receipt fields, customers' replies) goes
// through it before it is stored, so the database never refuses a batch
// for one bad byte in one item.
func StoredText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", `\x00`)
}
