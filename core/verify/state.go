package verify

import (
	"errors"
	"strconv"
	"time"
)

// Status is where a verification is. The values equal the tern.v1
// VerificationStatus enum.
type Status uint8

const (
	StatusUnspecified Status = iota
	// StatusPending: a code was sent and may still be checked.
	StatusPending
	// StatusApproved: a check gave the right code in time. Final.
	StatusApproved
	// StatusCanceled: the caller canceled it. Final.
	StatusCanceled
	// StatusExpired: its validity ran out before a right code. Final.
	StatusExpired
	// StatusMaxAttemptsReached: every check it allows was made. Final.
	StatusMaxAttemptsReached
)

var statusNames = [...]string{"unspecified", "pending", "approved", "canceled", "expired", "max_attempts_reached"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Final reports whether no check can change s any more.
func (s Status) Final() bool { return s >= StatusApproved && s <= StatusMaxAttemptsReached }

// ErrApproved refuses a check of a verification that was approved
// already: its code is spent, so no check may answer approved again.
var ErrApproved = errors.New("code: verification already approved; start a new one")

// State is a verification as a check finds it.
type State struct {
	Status Status
	// Checks is how many checks counted so far.
	Checks  int
	Expires time.Time
}

// Check applies one check made at now, whose code matched or not, to s
// under a limit of maxChecks checks, and returns the state after it and
// the check's outcome:
//
//   - approved: ErrApproved, nothing changes;
//   - another final status: that status, nothing changes;
//   - pending past its expiry: expired, whatever the code;
//   - pending with maxChecks checks made: max_attempts_reached, whatever
//     the code (the check after the last one allowed is refused);
//   - pending otherwise: the check counts, and the outcome is approved
//     when the code matched, pending when not.
func Check(s State, maxChecks int, now time.Time, matched bool) (State, Status, error) {
	switch {
	case s.Status == StatusApproved:
		return s, s.Status, ErrApproved
	case s.Status.Final():
		return s, s.Status, nil
	case !now.Before(s.Expires):
		s.Status = StatusExpired
		return s, s.Status, nil
	case s.Checks >= maxChecks:
		s.Status = StatusMaxAttemptsReached
		return s, s.Status, nil
	}
	s.Checks++
	if matched {
		s.Status = StatusApproved
	}
	return s, s.Status, nil
}

// CanCancel reports whether a verification in status s may be canceled;
// canceling a canceled one again is allowed and changes nothing.
func CanCancel(s Status) bool { return s == StatusPending || s == StatusCanceled }
