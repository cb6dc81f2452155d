// Package campaigns sends a template to an audience: it stores campaigns,
// expands them recipient by recipient through the intake, withdraws what
// a cancel catches, tracks their links, and estimates what they cost.
//
// Expansion is durable and exact. It pages through the audience by
// contact id (keyset), and after each step commits, in one transaction,
// the messages it queued and a cursor past the step's last contact. A
// message's idempotency key is derived from (campaign, contact), and its
// text, links included, is the same each time it is made (link codes are
// keyed HMACs), so a step repeated after a crash, a restart or a lost
// lease queues nothing twice: the intake answers the first message for
// the key. Only one instance expands a campaign at a time: a PostgreSQL
// advisory lock held on the connection the steps commit on, so an
// instance that loses it cannot commit another step.
//
// Pause and cancel move the campaign's state; expansion reads it with
// every step and while it waits for its rate, and stops. Messages
// already queued are the partition actor's to hold or withdraw (States,
// wired in by the pipeline); a cancel also withdraws every queued
// message through the pipeline's Canceler.
//
// The package must not send around the intake: every message goes
// through Intake.Send, so every check applies.
package campaigns
