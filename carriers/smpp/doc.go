// Package smpp speaks SMPP 3.4: the PDU codec (header, bodies, TLVs and the
// command_status table), a connection engine that pipelines requests under
// a window, the ESME client tern uses to submit to carriers, and the
// server session the simulator SMSC and the customer-facing gateway build
// on.
//
// The codec never panics on bad bytes and never allocates more than the
// configured maximum PDU length for one frame. Protocol errors are
// CommandStatus values; whether one is worth retrying is read from the
// status table through carriers.IsRetriable.
//
// The package does not route, retry, store ids or throttle across binds:
// the pipeline and the carrier router own those.
package smpp
