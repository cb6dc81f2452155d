package localsvc

import (
	"bytes"
	"io"
	"os"
	"strings"
)

const (
	tailBytes = 4 << 10
	tailLines = 15
)

// tailOf returns the last lines of each non-empty file, formatted to follow
// an error message, or "" when there is nothing to show.
func tailOf(paths []string) string {
	var b strings.Builder
	for _, path := range paths {
		lines := tailFile(path, tailBytes, tailLines)
		if len(lines) == 0 {
			continue
		}
		b.WriteString("\n--- tail of ")
		b.WriteString(path)
		b.WriteString(" ---")
		for _, l := range lines {
			b.WriteString("\n")
			b.WriteString(l)
		}
	}
	return b.String()
}

// tailFile reads at most the last maxBytes of path and returns its last
// maxLines non-empty lines. Errors (a missing file) give no lines.
func tailFile(path string, maxBytes int64, maxLines int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	off := max(st.Size()-maxBytes, 0)
	buf, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return nil
	}
	if off > 0 { // the first line is probably cut
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	var lines []string
	for l := range strings.SplitSeq(string(buf), "\n") {
		if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return lines
}
