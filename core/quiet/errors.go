package quiet

import "errors"

var (
	// ErrWindow is returned for a window that cannot be read or is empty.
	ErrWindow = errors.New("invalid sending window")
	// ErrZone is returned for a configured time zone that does not exist.
	ErrZone = errors.New("unknown time zone")
)
