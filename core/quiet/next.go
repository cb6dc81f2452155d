package quiet

import "time"

// Next returns the first instant at or after at when w is open in every
// one of zones, in UTC: at itself while it is open. With no zones, UTC
// decides; when the zones' windows never overlap, the first zone does.
// The zero Window is always open.
func (w Window) Next(at time.Time, zones ...*time.Location) time.Time {
	at = at.UTC()
	if w.IsZero() {
		return at
	}
	if len(zones) == 0 {
		zones = []*time.Location{time.UTC}
	}
	if next, ok := nextAllowed(at, zones, w); ok {
		return next
	}
	next, _ := nextAllowed(at, zones[:1], w)
	return next
}
