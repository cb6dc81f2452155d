// Package twilio keeps the state of tern's Twilio-compatible surface
// (api/twilio) in PostgreSQL and runs its background work:
//
//   - accounts: an account SID and auth token mapped to a tenant, with
//     the tenant's Verify service SID and the URL its replies are posted
//     to. Only a SHA-256 of the token is stored; the token itself is
//     derived from a secret every instance shares (Tokens), because
//     status callbacks and inbound posts are signed with it;
//   - messages: each message sent through the surface, with Twilio's
//     fields (from, body, status callback), its SID ("SM" and the hex of
//     the message id's ULID) mapped to tern's id, and its status as the
//     events topic tells it (Follower);
//   - status callbacks: signed form posts with durable retries, queued in
//     PostgreSQL and sent by a Dispatcher on any instance (the
//     CallbackQueue interface lets another queue, such as the signed
//     webhooks' outbox, carry them);
//   - inbound: a customer's reply posted to the tenant's SMS URL as
//     Twilio posts it, and the TwiML <Message> replies sent back
//     (Inbound).
//
// Every message goes out through the pipeline's Intake; the package
// serves no HTTP itself.
package twilio
