package main

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

var (
	// inlineLink matches [text](target) and ![alt](target), the target
	// optionally in <…> and followed by a "title".
	inlineLink = regexp.MustCompile(`\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)`)
	// refLink matches a reference definition: [label]: target.
	refLink = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*(\S+)`)
	// codeSpan matches inline code, whose brackets are not links.
	codeSpan = regexp.MustCompile("`+[^`]*`+")
	// scheme marks an absolute URL (https:, mailto:, …), not checked here.
	scheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// checkLinks reads every Markdown file under root and returns one line
// per relative link whose file is missing, or whose #anchor names no
// heading of the Markdown file it points to.
func checkLinks(root string) ([]string, error) {
	var problems []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".md") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		for _, l := range markdownLinks(string(src)) {
			if msg := checkLink(root, rel, l.target); msg != "" {
				problems = append(problems, fmt.Sprintf("%s:%d: link %s: %s", rel, l.line, l.target, msg))
			}
		}
		return nil
	})
	slices.Sort(problems)
	return problems, err
}

type link struct {
	line   int
	target string
}

// markdownLinks returns the link targets of a Markdown text, outside
// fenced code blocks and code spans.
func markdownLinks(src string) []link {
	var out []link
	fence := ""
	for i, line := range strings.Split(src, "\n") {
		if f := fenceOf(line); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(f, fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, link{i + 1, strings.Trim(m[1], "<>")})
		}
		if m := refLink.FindStringSubmatch(line); m != nil {
			out = append(out, link{i + 1, strings.Trim(m[1], "<>")})
		}
	}
	return out
}

// fenceOf returns the fence (``` or ~~~, as long as written) a line opens
// or closes a code block with, or "".
func fenceOf(line string) string {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return ""
	}
	for _, c := range []string{"`", "~"} {
		n := len(t) - len(strings.TrimLeft(t, c))
		if n >= 3 {
			return strings.Repeat(c, n)
		}
	}
	return ""
}

// checkLink checks one target of the Markdown file at rel; it returns
// what is wrong, or "".
func checkLink(root, rel, target string) string {
	if target == "" || scheme.MatchString(target) || strings.HasPrefix(target, "//") {
		return ""
	}
	file, anchor, _ := strings.Cut(target, "#")
	file, _, _ = strings.Cut(file, "?")
	file, err := url.PathUnescape(file)
	if err != nil {
		return "not a valid path"
	}
	var p string
	switch {
	case file == "":
		p = rel
	case strings.HasPrefix(file, "/"):
		p = path.Clean(strings.TrimPrefix(file, "/"))
	default:
		p = path.Join(path.Dir(rel), file)
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "points outside the repository"
	}
	info, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
	if err != nil {
		return "no such file"
	}
	if anchor == "" || info.IsDir() || !strings.HasSuffix(p, ".md") {
		return ""
	}
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
	if err != nil {
		return err.Error()
	}
	if !slices.Contains(anchors(string(src)), anchor) {
		return "no heading #" + anchor + " in " + p
	}
	return ""
}

var (
	heading   = regexp.MustCompile(`^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	linkText  = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	emphasis  = regexp.MustCompile("[*`]")
	htmlAnchr = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
)

// anchors returns the anchors GitHub gives a Markdown text's headings
// (lower case, punctuation dropped, spaces to hyphens, repeats numbered
// -1, -2, …), and those of <a name> or <a id> tags.
func anchors(src string) []string {
	var out []string
	seen := map[string]int{}
	fence := ""
	for _, line := range strings.Split(src, "\n") {
		if f := fenceOf(line); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(f, fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		for _, m := range htmlAnchr.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := slug(emphasis.ReplaceAllString(linkText.ReplaceAllString(m[1], "$1"), ""))
		if n := seen[s]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", s, n))
		} else {
			out = append(out, s)
		}
		seen[s]++
	}
	return out
}

// slug is GitHub's anchor for a heading's text.
func slug(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsLetter(r), unicode.IsNumber(r), unicode.IsMark(r), r == '_', r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
