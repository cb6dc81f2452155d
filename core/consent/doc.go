// Package consent decides whether a message may go to a number, from the
// number's consent state and the message's category, and holds a tenant's
// consent policy: what STOP covers, the texts tern answers with, the
// keywords it reads, double opt-in and the marketing frequency cap.
//
// The rules (CTIA Messaging Principles and Best Practices, TCPA and the
// FCC's 2024 revocation order, GDPR Art. 7):
//
//   - An opt-out wins over everything: a number that opted out gets nothing
//     of the scope it opted out of (every category, or marketing only).
//   - Marketing needs an active opt-in; transactional and OTP messages do
//     not, but respect an opt-out.
//   - An erased number (GDPR) stays suppressed: its state is an opt-out of
//     everything, kept under a hash of the number.
//
// The package is pure: no I/O. The ledger that keeps the states is
// pipeline/consent.
package consent
