// Package gateway is tern's SMPP front door for high-volume senders: their
// ESMEs bind to tern as to any SMSC, each submit_sm (or submit_multi
// destination, or data_sm) becomes a tern message with the guarantees of
// an API send, and delivery receipts and customers' replies go back to
// them as deliver_sm. query_sm reads a message's state from tern's reports
// (analytics), as GetMessage does.
//
// It owns the gateway's accounts (system_id, a hashed password, a tenant,
// limits), the per-connection sessions built on carriers/smpp's server
// session, the translation of SMPP requests into pipeline requests and of
// intake errors into command_status values, and the PostgreSQL tables that
// hold what waits for a customer: receipts and replies are written there by
// whichever instance consumed the event, and sent by whichever instance the
// customer is bound to, each row claimed by one bind and deleted once the
// customer acknowledged it.
//
// The package validates messages only as far as SMPP says (addresses,
// data_coding, lengths): everything else is the pipeline intake's. It
// never talks to carriers, never writes Kafka records itself beyond the
// intake, and never reads the pipeline's tables.
package gateway
