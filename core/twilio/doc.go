// Package twilio holds the pure rules of tern's Twilio-compatible
// surface: SIDs, the mapping from tern's statuses to Twilio's, Twilio's
// error codes and JSON error shape, RFC 2822 dates and prices as Twilio
// writes them, the X-Twilio-Signature algorithm, and reading TwiML
// replies. It does no I/O; api/twilio serves the HTTP surface and
// pipeline/twilio keeps its state.
package twilio
