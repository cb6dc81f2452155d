package smpp

import "errors"

var (
	// ErrCommandLength means a frame's command_length is below the header
	// size or above the reader's maximum. The byte stream cannot be
	// trusted after it; the connection must close.
	ErrCommandLength = errors.New("invalid command_length")
	// ErrUnknownCommand means a frame carries a command_id the codec does
	// not know. The frame itself is intact; answer it with generic_nack.
	ErrUnknownCommand = errors.New("unknown command_id")
	// ErrMalformed means a PDU body does not match its command's layout.
	// The error also wraps the CommandStatus to answer it with.
	ErrMalformed = errors.New("malformed pdu")
	// ErrFieldTooLong means a field exceeds its SMPP 3.4 maximum when
	// encoding.
	ErrFieldTooLong = errors.New("field too long")
	// ErrTimeout means a request got no response within the request
	// timeout.
	ErrTimeout = errors.New("no response within request timeout")
	// ErrConnClosed means the connection ended; requests still waiting for
	// a response fail with it (wrapped with carriers.ErrInDoubt when they
	// were written).
	ErrConnClosed = errors.New("smpp connection closed")
	// ErrNotBound means the session is not bound for the operation.
	ErrNotBound = errors.New("session not bound for this operation")
	// ErrExpired means a submission's ValidUntil has already passed.
	ErrExpired = errors.New("validity period already over")
	// ErrNoReceipt means a text holds neither a receipt id nor a state.
	ErrNoReceipt = errors.New("not a delivery receipt")
	// ErrIdleTimeout means the peer sent nothing for longer than the
	// inactivity timeout; the session was closed.
	ErrIdleTimeout = errors.New("peer inactive")
	// ErrBindTimeout means a connection did not bind within the bind
	// timeout; the session was closed.
	ErrBindTimeout = errors.New("no bind within the bind timeout")
	// ErrTooLong means a text needs more parts than a concatenated
	// message can number (255).
	ErrTooLong = errors.New("message too long")
)

// ErrRunning is returned by Client.Run while another Run of the same
// client is active.
var ErrRunning = errors.New("client already running")
