package hygiene

import "time"

// ClearedByDelivery is who lifted a suppression when a message to the
// number was delivered after it.
const ClearedByDelivery = "delivered"

// Mark is a number's hygiene suppression as the consent ledger keeps it.
type Mark struct {
	Number string
	// Class is the suppression's class; ClassNone once cleared.
	Class Class
	// SuppressedAt is the last suppression; ClearedAt the last time it
	// was lifted (zero for never), and ClearedBy who lifted it:
	// ClearedByDelivery, else the caller's name.
	SuppressedAt time.Time
	ClearedAt    time.Time
	ClearedBy    string
}

// Suppressed reports whether the number is suppressed now.
func (m Mark) Suppressed() bool { return m.Class != ClassNone }

// Action is what list hygiene does about one number.
type Action uint8

const (
	// Keep: nothing changes.
	Keep Action = iota
	// Suppress the number for marketing with its verdict's class.
	Suppress
	// Clear the number's suppression: a message was delivered since.
	Clear
)

// Decide returns what to do about a number given its verdict, its
// history and its mark. A permanent verdict suppresses, unless
// auto-suppression is off or the suppression was lifted after the
// failure that decided it; a suppressed number that got a message
// delivered after its suppression is cleared. A manual clear holds until
// a newer failure.
func Decide(v Verdict, h History, m Mark, s Settings) Action {
	if m.Suppressed() {
		if h.LastDelivered.After(m.SuppressedAt) {
			return Clear
		}
		return Keep
	}
	if !v.Class.Permanent() || s.ManualOnly {
		return Keep
	}
	if !m.ClearedAt.IsZero() && (len(h.Recent) == 0 || !h.Recent[0].At.After(m.ClearedAt)) {
		return Keep
	}
	return Suppress
}
