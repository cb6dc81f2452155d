// Package verify holds the pure rules of one-time-code verification:
// codes and their keyed hashes, a verification's states and what a check
// does to them, the per-tenant policy and its defaults, the localized
// message (with the WebOTP and Android SMS Retriever formats), number
// prefixes and the SMS-pumping verdict on a prefix's counts.
//
// It keeps no state and does no I/O: pipeline/verify stores
// verifications in PostgreSQL and sends the messages.
package verify
