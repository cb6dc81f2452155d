// Package consent is tern's system of record for consent: an append-only
// ledger of opt-ins and opt-outs in PostgreSQL, double opt-in
// confirmations, GDPR erasure, and the suppression set every instance
// keeps in memory so that the hot path never reads the database.
//
// Writes go through a Ledger. Each change appends an event and updates
// the number's state row in one transaction, then publishes the new state
// on the suppressions topic (a Kafka topic keyed by the number's hash).
// A Set on every instance loads the states from PostgreSQL at start and
// tails the topic, so a STOP reaches every instance within a second;
// records carry a per-number version and apply only over an older one,
// so duplicates and reordering are harmless. A state whose publish
// failed is published again by Ledger.Run.
//
// Numbers are kept under a keyed hash (Hasher) in the state table and on
// the topic; an erased number leaves only that hash behind, suppressed.
// The events table is append-only: a trigger refuses UPDATE, and DELETE
// outside Erase.
//
// What a state allows is core/consent's to decide; this package only
// keeps the states.
package consent
