// Package storeevents takes store events in: it checks them
// (core/commerce), records each event id once in PostgreSQL, and
// produces the event to the store events topic, keyed by tenant and
// customer, before the caller gets its answer. Everything that acts on
// an event — flows, revenue attribution, the consent ledger — reads the
// topic asynchronously, so a webhook is answered in milliseconds.
//
// It also keeps each tenant's store platform secrets (Shopify's and
// WooCommerce's webhook signing secrets, and a previous one during a
// rotation), and ConsentSync, the consumer that records the SMS
// marketing consent a platform reports in the consent ledger.
//
// Delivery is at least once: an event id claimed but not yet produced
// (the broker was away, the process died) is produced again by the
// next delivery of the same id, and two concurrent deliveries of one id
// may both produce it. Consumers dedupe on the event id.
package storeevents
