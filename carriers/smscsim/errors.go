package smscsim

import "errors"

var (
	// ErrStarted is returned by Start on a server already started.
	ErrStarted = errors.New("simulator already started")
	// ErrNoReceiver means no session of the system_id is bound to receive.
	ErrNoReceiver = errors.New("no receiver bound")
)
