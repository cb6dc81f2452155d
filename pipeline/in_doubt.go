package pipeline

import "fmt"

// InDoubtPolicy says what happens to a message whose submit was in doubt:
// it went on the wire, but its answer was never recorded because the
// process died or the connection dropped. No SMSC protocol can tell
// whether the carrier has it; the policy picks the lesser harm.
type InDoubtPolicy uint8

const (
	// Resubmit sends it again: no message is lost, and a duplicate is
	// possible only among in-doubt messages.
	Resubmit InDoubtPolicy = iota
	// Fail marks it FAILED with reason "outcome unknown": no duplicate is
	// ever sent, and the in-doubt messages may be lost.
	Fail
)

func (p InDoubtPolicy) String() string {
	if p == Fail {
		return "fail"
	}
	return "resubmit"
}

// ParseInDoubtPolicy reads "resubmit" or "fail".
func ParseInDoubtPolicy(s string) (InDoubtPolicy, error) {
	switch s {
	case "", "resubmit":
		return Resubmit, nil
	case "fail":
		return Fail, nil
	}
	return Resubmit, fmt.Errorf("in-doubt policy %q: want resubmit or fail", s)
}

// The reason and error code of messages failed by the Fail policy.
const (
	reasonOutcomeUnknown = "outcome unknown"
	errorCodeInDoubt     = "in_doubt"
)
