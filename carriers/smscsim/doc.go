// Package smscsim is a simulator SMSC: an SMPP 3.4 server that accepts
// binds, answers submit_sm, data_sm and submit_multi with its own message
// ids (hex or decimal) and later sends delivery receipts whose outcome is
// a pure function of (Seed, destination, text), so tests can predict
// every message's fate. It answers query_sm, cancel_sm and replace_sm for
// recent messages, counts what it received per (destination, text),
// reassembling multipart messages, and records how many requests each
// session held in flight.
//
// It misbehaves on demand, from Config at start or through Server
// methods while it runs: latency with a log-normal spread, throttling
// above a rate, a share of submits answered with a chosen status for a
// period, silence like a hung SMSC, dropped sessions, and
// mobile-originated messages or any deliver_sm injected at will.
//
// It is a real protocol peer for tests and development, built on
// smpp.ServerSession like tern's gateway. It keeps everything in memory
// and does not deliver anything anywhere.
package smscsim
