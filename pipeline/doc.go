// Package pipeline moves messages from the front doors to the carriers and
// turns what carriers say back into status events.
//
// It owns the intake every front door shares (validate, assign an id,
// produce to the submit topic and answer only after Kafka acknowledged),
// the consumer group with one actor goroutine per assigned partition that
// hands messages to a carrier, and the receipt path that joins carrier
// receipts back to tern's messages and records the outcome on the events
// topic.
//
// It does not speak any wire protocol to clients (that is api/) nor to
// carriers (that is carriers/), and it never writes to ClickHouse
// (analytics/ reads the events topic).
package pipeline
