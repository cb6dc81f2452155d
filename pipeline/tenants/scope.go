package tenants

import (
	"fmt"
	"strings"
)

// Scope is a set of things an API key may do.
type Scope uint8

const (
	// ScopeSend: send, estimate and cancel messages.
	ScopeSend Scope = 1 << iota
	// ScopeRead: read messages and reports.
	ScopeRead
	// ScopeContacts: record and read consent, erase numbers, read replies.
	ScopeContacts
	// ScopeAdmin: manage keys, senders and policy (of its own tenant; an
	// operator key, which has no tenant, of every tenant, and create
	// tenants).
	ScopeAdmin
)

// DefaultScopes are a tenant key's scopes when none are given, and those
// of keys from the config file: everything but admin.
const DefaultScopes = ScopeSend | ScopeRead | ScopeContacts

var scopeNames = []struct {
	s    Scope
	name string
}{{ScopeSend, "send"}, {ScopeRead, "read"}, {ScopeContacts, "contacts"}, {ScopeAdmin, "admin"}}

// Has tells whether s includes every scope of want.
func (s Scope) Has(want Scope) bool { return s&want == want }

// Names lists s's scopes: "send", "read", "contacts", "admin".
func (s Scope) Names() []string {
	var out []string
	for _, n := range scopeNames {
		if s.Has(n.s) {
			out = append(out, n.name)
		}
	}
	return out
}

func (s Scope) String() string { return strings.Join(s.Names(), ",") }

// ParseScopes reads scope names; none gives DefaultScopes.
func ParseScopes(names []string) (Scope, error) {
	if len(names) == 0 {
		return DefaultScopes, nil
	}
	var s Scope
	for _, name := range names {
		found := false
		for _, n := range scopeNames {
			if strings.EqualFold(strings.TrimSpace(name), n.name) {
				s |= n.s
				found = true
			}
		}
		if !found {
			return 0, invalid("scopes", fmt.Sprintf("unknown scope %q: want send, read, contacts or admin", name))
		}
	}
	return s, nil
}
