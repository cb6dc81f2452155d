package gateway

import "errors"

var (
	// ErrClosed is returned by a Server that was closed, or closed before
	// it started.
	ErrClosed = errors.New("smpp gateway closed")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("smpp gateway already started")
	// ErrAccountExists means AddAccount found the system_id taken.
	ErrAccountExists = errors.New("smpp account already exists")
	// ErrNoAccount means no account has the system_id.
	ErrNoAccount = errors.New("no such smpp account")
	// ErrNumberTaken means a number is already routed to another account.
	ErrNumberTaken = errors.New("number already belongs to another account")
	// ErrInvalidAccount is wrapped by every problem Account.Validate
	// reports.
	ErrInvalidAccount = errors.New("invalid smpp account")
	// ErrBadHash means a stored password hash cannot be read.
	ErrBadHash = errors.New("unreadable password hash")
)
