package hygiene

import (
	"strconv"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/phone"
)

// Attempt is one message to a number, as its latest status left it.
type Attempt struct {
	// At is when the message reached its final status.
	At        time.Time
	Status    core.Status
	Carrier   string
	ErrorCode string
}

// History is what tern knows about one number of one tenant.
type History struct {
	// Number as it was messaged, E.164.
	Number string
	// Recent are the newest finished attempts, newest first, at least
	// Settings.Window of them when there are that many. Attempts still in
	// flight and canceled ones are not in it.
	Recent []Attempt
	// LastDelivered is the latest delivery; zero for none ever.
	LastDelivered time.Time
	// OptedOut: the number opted out of anything (core/consent).
	OptedOut bool
}

// Verdict is a number's class and why.
type Verdict struct {
	Class Class
	// Detail says what decided it: the line type, or the carrier, code
	// and meaning of the newest failure, or the counts.
	Detail string
}

// Classify returns h's class under s, with codes to read carrier errors
// (nil reads none). now anchors the never-delivered window.
func Classify(h History, codes *Codes, s Settings, now time.Time) Verdict {
	s = s.WithDefaults()
	if v, ok := byNumber(h.Number); ok {
		return v
	}
	if v, ok := byCodes(h.Recent, codes, s.PermanentAfter); ok {
		return v
	}
	if h.OptedOut {
		return Verdict{Class: ClassOptedOut}
	}
	n, m := 0, min(len(h.Recent), s.UndeliveredM)
	for _, a := range h.Recent[:m] {
		if notDelivered(a.Status) {
			n++
		}
	}
	if n >= s.UndeliveredN {
		return Verdict{Class: ClassRepeatedlyUndelivered, Detail: strconv.Itoa(n) + " of the last " + strconv.Itoa(m) + " not delivered"}
	}
	since := now.Add(-s.NeverDeliveredFor)
	if len(h.Recent) > 0 && h.Recent[0].At.After(since) && h.LastDelivered.Before(since) {
		return Verdict{Class: ClassNeverDelivered, Detail: "nothing delivered since " + since.UTC().Format(time.DateOnly)}
	}
	return Verdict{}
}

// byNumber classifies by the number plan: invalid, or a line type that
// takes no SMS.
func byNumber(number string) (Verdict, bool) {
	n, err := phone.Inspect(number, "")
	switch {
	case err != nil || !n.Valid:
		return Verdict{Class: ClassInvalid, Detail: "not a valid number"}, true
	case !n.Type.CanReceiveSMS():
		return Verdict{Class: ClassLandline, Detail: "line type " + n.Type.String()}, true
	}
	return Verdict{}, false
}

// byCodes classifies by carrier error codes: the newest after attempts
// must all be failures with a permanent code; the newest decides.
func byCodes(recent []Attempt, codes *Codes, after int) (Verdict, bool) {
	if len(recent) < after {
		return Verdict{}, false
	}
	var first Rule
	for i, a := range recent[:after] {
		if !failed(a.Status) {
			return Verdict{}, false
		}
		r, ok := codes.Lookup(a.Carrier, a.ErrorCode)
		if !ok {
			return Verdict{}, false
		}
		if i == 0 {
			first = r
		}
	}
	a := recent[0]
	return Verdict{Class: first.Class, Detail: a.Carrier + " " + a.ErrorCode + ": " + first.Meaning}, true
}

// failed reports whether s is a failure a carrier answered for the
// number.
func failed(s core.Status) bool {
	return s == core.StatusUndelivered || s == core.StatusRejected || s == core.StatusFailed
}

// notDelivered reports whether s is a finished attempt that did not
// reach the handset.
func notDelivered(s core.Status) bool { return failed(s) || s == core.StatusExpired }
