package hygiene

import "errors"

var (
	// ErrInvalidRule is wrapped by NewCodes' errors for an unusable rule.
	ErrInvalidRule = errors.New("invalid error-code rule")
	// ErrInvalidSettings is wrapped by Settings.Validate's errors.
	ErrInvalidSettings = errors.New("invalid hygiene settings")
	// ErrUnknownClass is returned by ParseClass for a name it does not know.
	ErrUnknownClass = errors.New("unknown hygiene class")
)
