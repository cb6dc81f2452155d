// Package webhooks posts a tenant's events to the endpoints it
// registered, signed, at least once, durably, and safely.
//
// Events (message.status, message.inbound, contact.opted_out,
// contact.opted_in, campaign.completed, flow.run_exited and
// webhook.endpoint_disabled) come from consumers of tern's topics
// (Sources) or from Emit. Each is written to a PostgreSQL outbox, one
// row per matching endpoint, with its body fixed and an event id for
// the receiver's dedupe, before the topic's offset is committed. A
// dispatcher on every instance claims due rows per endpoint with FOR
// UPDATE SKIP LOCKED under a lease and posts them through a bounded
// pool of workers per endpoint; rows of one ordering key (a message id)
// go one after another, in order. A failure is retried with exponential
// backoff and full jitter for up to 72 hours from the event, then given
// up; an endpoint failing for 72 hours is disabled and a
// webhook.endpoint_disabled event says so. Every attempt is logged
// (status code, latency, error) for ListWebhookDeliveries; Replay puts
// events back in line with their original ids.
//
// Each POST carries Tern-Signature: t=UNIX,v1=HEX, HEX being the
// HMAC-SHA256 of "UNIX.BODY" under the endpoint's secret; while a
// rotated-out secret is still valid a second v1 is computed with it.
//
// Posts go through Client, which refuses any address that is not
// public — loopback, private, link-local, CGNAT, cloud metadata, … —
// checking the address actually dialled after resolution, follows no
// redirects, times out after 10 seconds and reads at most 64 KiB of a
// reply. Private ranges are allowed only by an explicit operator
// setting. The outbox also takes arbitrary signed posts (Post), for
// other features' callbacks.
//
// Backpressure: when a healthy endpoint's backlog passes MaxPending,
// the sources stop reading until it drains, so the backlog waits in
// Kafka, not in memory.
package webhooks
