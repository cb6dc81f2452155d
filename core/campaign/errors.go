package campaign

import "errors"

var (
	// ErrTransition: the action is not allowed in the campaign's state;
	// the error names both.
	ErrTransition = errors.New("not allowed in this state")
	// ErrTemplate is wrapped by the errors of Compile.
	ErrTemplate = errors.New("invalid template")
)
