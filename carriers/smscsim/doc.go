// Package smscsim is a simulator SMSC: an SMPP 3.4 server that accepts
// binds, answers submit_sm with its own message ids and later sends
// delivery receipts whose outcome is a pure function of (Seed,
// destination, text), so tests can predict every message's fate. It also
// counts what it received, reassembling multipart messages, and records
// how many requests each session held in flight.
//
// It is a real protocol peer for tests and development, built on
// smpp.ServerSession like tern's gateway. It keeps everything in memory
// and does not deliver anything anywhere.
package smscsim
