// Package attribution credits an order's revenue to the message that
// led to it: the customer's last tracked-link click within the click
// window before the order (default 7 days), or else the last marketing
// message sent to them within the message window (default 24 hours).
// Both windows are per tenant. The credit goes to a campaign, or to a
// flow for flows' messages (origin "flow/ID"), and is written as an
// Attribution record to the attributions topic, which analytics loads
// into ClickHouse.
//
// It reads three streams in one consumer group: the events topic, where
// a marketing message's first submitted or delivered event is a touch;
// the clicks topic of tracked links (its record type is the link
// service's: a ClickDecoder reads it); and the store events topic,
// where an order_created event is noted. A noted order is attributed
// once a grace period has passed, so that a click or a send recorded on
// another topic a little late still counts, and exactly once (per
// tenant and order id) however often its event comes.
package attribution
