// Package verify runs tern's verification service: it starts
// verifications (a one-time code sent on the OTP lane through the
// pipeline's Intake, so every send check applies), checks codes, cancels
// verifications, and guards against SMS pumping. core/verify holds the
// rules; this package keeps the state in PostgreSQL and tells analytics
// what happened on a Kafka topic.
//
// A verification's code is never stored: it is derived from a secret
// every instance shares and the verification's random id
// (core/verify.Keys), so a resend sends the same code, and PostgreSQL
// holds only an HMAC-SHA-256 of it under another subkey with a random
// per-verification salt, compared in constant time.
//
// Per number, a start takes a transaction-scoped advisory lock, so two
// instances starting verifications to one number at once count the
// sends and the cooldown correctly. The pumping guard counts starts per
// tenant and number prefix in one-minute buckets shared by every
// instance; concurrent starts to one prefix may each see the count
// without the others, so a block may come a few starts late, never
// early.
//
// The package serves no wire protocol (api/ does) and sends nothing
// around the Intake.
package verify
