package tmpl

import (
	"fmt"
	"strings"
)

// node is a literal run of text or a placeholder.
type node struct {
	lit    string
	name   string // "" for a literal
	def    string
	hasDef bool
}

// maxTemplate bounds a template's source, in bytes.
const maxTemplate = 64 << 10

// parse splits text into nodes.
func parse(text string) ([]node, error) {
	if len(text) > maxTemplate {
		return nil, fmt.Errorf("%d bytes, over %d: %w", len(text), maxTemplate, ErrSyntax)
	}
	var nodes []node
	rest, off := text, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				nodes = append(nodes, node{lit: rest})
			}
			return nodes, nil
		}
		if i > 0 {
			nodes = append(nodes, node{lit: rest[:i]})
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ at byte %d: %w", off+i, ErrSyntax)
		}
		body := rest[i+2 : i+2+j]
		n := node{}
		name, def, hasDef := strings.Cut(body, "|")
		n.name, n.def, n.hasDef = strings.TrimSpace(name), unquote(strings.TrimSpace(def)), hasDef
		if !validName(n.name) {
			return nil, fmt.Errorf("placeholder %q at byte %d: %w", "{{"+body+"}}", off+i, ErrSyntax)
		}
		nodes = append(nodes, n)
		adv := i + 2 + j + 2
		rest, off = rest[adv:], off+adv
	}
}

// unquote returns a default written in double quotes without them, so
// that it may start or end with spaces: {{name|" dear customer "}}. Any
// other default is taken as written.
func unquote(def string) string {
	if len(def) >= 2 && def[0] == '"' && def[len(def)-1] == '"' {
		return def[1 : len(def)-1]
	}
	return def
}

// validName reports whether s is a variable name.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// Placeholders returns the variable names text uses, in order of first
// use, so that a caller can offer to declare them.
func Placeholders(text string) ([]string, error) {
	nodes, err := parse(text)
	if err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	for _, n := range nodes {
		if n.name != "" && !seen[n.name] {
			seen[n.name] = true
			names = append(names, n.name)
		}
	}
	return names, nil
}
