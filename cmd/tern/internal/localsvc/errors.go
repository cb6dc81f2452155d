package localsvc

import "errors"

var (
	// ErrNotInstalled is returned when a server's binary cannot be found.
	// The wrapping error names the Debian package to install.
	ErrNotInstalled = errors.New("server binary not installed")
	// ErrExited is returned when a server process ended before it answered.
	// The wrapping error carries the tail of the server's logs.
	ErrExited = errors.New("server exited")
	// ErrNotReady is returned when a server did not answer within its start
	// timeout.
	ErrNotReady = errors.New("server not ready")
	// ErrPortInUse is returned when a port a server should listen on is
	// already taken, typically by another instance.
	ErrPortInUse = errors.New("port in use")
	// ErrInUse is returned when a running tern already runs a server from
	// the directory asked for, or when a server a tern left running there
	// does not stop.
	ErrInUse = errors.New("server directory in use")
	// ErrInvalidConfig is returned by Validate for an unusable config.
	ErrInvalidConfig = errors.New("invalid config")
)
