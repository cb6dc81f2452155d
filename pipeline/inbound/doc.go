// Package inbound acts on customers' replies: a consumer group on the MO
// topic that, for each reply, finds the tenant by the number it was sent
// to, reads it with core/keyword and the tenant's keywords, and acts:
//
//   - STOP (and its phrases and languages) records an opt-out of the
//     tenant's stop scope and sends one confirmation;
//   - START/UNSTOP records an opt-in and confirms it;
//   - Y/YES (SÍ, OUI, JA) confirms a waiting double opt-in;
//   - HELP gets the tenant's help text.
//
// Every reply is stored with its reading (ListInbound reads them) and
// described on the replies topic for analytics. Work is idempotent per MO
// record (topic/partition/offset): the consent event, the stored reply and
// the reply tern sends (an idempotency key, and a mark once sent) happen
// once however often the record is delivered. A flood from one number is
// rate-limited in what tern sends back and in the non-keyword texts it
// stores; the consent actions are never limited.
//
// The replies tern sends go through a Sender (the pipeline's Intake) with
// an origin under core/consent.OriginPrefix, which the send checks let
// pass to an opted-out number. Replies are still forwarded to the SMPP
// account owning the number by the gateway, which reads the MO topic
// itself.
package inbound
