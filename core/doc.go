// Package core is tern's domain model: the statuses, categories and rules a
// message passes through between the front door and a carrier.
//
// core and its sub-packages are pure: they do no network, Kafka or SQL
// work and import none of tern's other packages, so every front door,
// the pipeline and the carriers can share them. The sub-packages hold
// the text rules (gsm), phone numbers (phone), message ids (msgid),
// STOP/HELP keywords (keyword), quiet hours (quiet), templates (tmpl),
// prices (price), the consent decision (consent), sender id rules
// (sender), retry backoff (backoff) and list hygiene (hygiene).
package core
