package phone

import "errors"

// ErrInvalid is returned for a number that does not parse or is not a
// valid number for its region.
var ErrInvalid = errors.New("invalid phone number")
