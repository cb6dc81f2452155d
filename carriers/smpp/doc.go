// Package smpp speaks SMPP 3.4: the PDU codec (every PDU of the
// specification, TLVs checked for length and, in requests an SMSC
// receives, for being allowed, and the one command_status table), a
// connection engine that pipelines requests under a window, the ESME
// client tern uses to submit to carriers, and the server session the
// simulator SMSC and the customer-facing gateway build on.
//
// The codec never panics on bad bytes and never allocates more than the
// configured maximum PDU length for one frame. Protocol errors are
// CommandStatus values; whether one is worth retrying is read from the
// status table through carriers.IsRetriable.
//
// The client keeps a carrier's binds up (reconnecting with jittered
// backoff), holds each to its window and all of them to the carrier's
// TPS cap, slows down when the carrier throttles, and sends a throttled
// or never-written part again itself: within one Submit it knows the
// carrier did not take that part. Anything else it reports, and the
// pipeline decides: the package does not store ids, retry failed
// messages, or route between carriers.
package smpp
