// Package commerce is the store events tern acts on — a checkout
// started, an order placed, paid, fulfilled, cancelled or refunded, a
// shipment's progress, a customer's SMS consent, a variant back in
// stock — in one shape whatever the platform, and the reading of
// Shopify's and WooCommerce's webhooks into that shape: their signatures
// (base64 HMAC-SHA256 of the raw body) and their JSON payloads.
//
// It is pure: no network, no storage. Parsers take untrusted bytes and
// return an Event or an error naming the field; they never panic (fuzzed).
// Money is price.Amount (millionths of the currency unit), phone numbers
// E.164 (core/phone), times UTC.
package commerce
