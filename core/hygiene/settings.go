package hygiene

import (
	"fmt"
	"time"
)

// Settings are one tenant's hygiene thresholds. The zero value, after
// WithDefaults, is the documented default.
type Settings struct {
	// ManualOnly turns auto-suppression off: the numbers are reported,
	// none is suppressed. Default false: auto-suppression is on.
	ManualOnly bool
	// PermanentAfter is how many of a number's newest finished attempts
	// in a row must have failed with a permanent code. Default 1.
	PermanentAfter int
	// UndeliveredN of the last UndeliveredM finished attempts not
	// delivered make a number repeatedly undelivered. Default 3 of 5.
	UndeliveredN int
	UndeliveredM int
	// NeverDeliveredFor is the window of the never-delivered class.
	// Default 30 days.
	NeverDeliveredFor time.Duration
}

// Defaults for Settings.
const (
	DefaultPermanentAfter    = 1
	DefaultUndeliveredN      = 3
	DefaultUndeliveredM      = 5
	DefaultNeverDeliveredFor = 30 * 24 * time.Hour
	// MaxWindow bounds UndeliveredM and PermanentAfter: the attempts kept
	// per number.
	MaxWindow = 50
)

// WithDefaults fills in zero fields.
func (s Settings) WithDefaults() Settings {
	if s.PermanentAfter == 0 {
		s.PermanentAfter = DefaultPermanentAfter
	}
	if s.UndeliveredN == 0 {
		s.UndeliveredN = DefaultUndeliveredN
	}
	if s.UndeliveredM == 0 {
		s.UndeliveredM = max(DefaultUndeliveredM, s.UndeliveredN)
	}
	if s.NeverDeliveredFor == 0 {
		s.NeverDeliveredFor = DefaultNeverDeliveredFor
	}
	return s
}

// Validate reports the first unusable field.
func (s Settings) Validate() error {
	d := s.WithDefaults()
	switch {
	case d.PermanentAfter < 1 || d.PermanentAfter > MaxWindow:
		return fmt.Errorf("%w: permanent_after %d: want 1 to %d", ErrInvalidSettings, s.PermanentAfter, MaxWindow)
	case d.UndeliveredM < 1 || d.UndeliveredM > MaxWindow:
		return fmt.Errorf("%w: undelivered_m %d: want 1 to %d", ErrInvalidSettings, s.UndeliveredM, MaxWindow)
	case d.UndeliveredN < 1 || d.UndeliveredN > d.UndeliveredM:
		return fmt.Errorf("%w: undelivered_n %d: want 1 to undelivered_m (%d)", ErrInvalidSettings, s.UndeliveredN, d.UndeliveredM)
	case d.NeverDeliveredFor < time.Hour:
		return fmt.Errorf("%w: never_delivered_for %s: want at least 1h", ErrInvalidSettings, s.NeverDeliveredFor)
	}
	return nil
}

// Window is how many of a number's newest finished attempts Classify
// needs.
func (s Settings) Window() int {
	d := s.WithDefaults()
	return max(d.UndeliveredM, d.PermanentAfter)
}
