// Package twilio serves tern's Twilio-compatible REST surface on the API
// port: the Messages resource of the 2010-04-01 API (send, fetch, list,
// cancel) and Verify v2's Verifications and VerificationCheck, with
// Twilio's paths, form parameters, JSON fields and error codes, so that a
// store plugin or backend written for Twilio moves to tern by changing
// its base URL and credentials. docs/twilio.md lists every parameter and
// field as supported, ignored or refused.
//
// Calls authenticate with HTTP Basic: an account SID and its auth token
// (pipeline/twilio keeps the accounts). Messages go through the
// pipeline's Intake like every other front door; verifications through
// the verification service.
package twilio
