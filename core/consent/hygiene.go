package consent

import "github.com/ternsms/tern/core/hygiene"

// HygieneOf is the suppression reason a permanent hygiene class keeps in
// State.Hygiene; 0 for any other class.
func HygieneOf(c hygiene.Class) Hygiene {
	if !c.Permanent() {
		return 0
	}
	return Hygiene(c)
}

// Class is the hygiene class h stands for.
func (h Hygiene) Class() hygiene.Class { return hygiene.Class(h) }

// Reason says why the number is suppressed: "hygiene: unknown subscriber".
func (h Hygiene) Reason() string { return h.Class().Reason() }
