// Package tenants keeps tern's tenants, their API keys and their sender
// ids in PostgreSQL, and serves them to the hot path from memory.
//
// The Store writes; every write bumps one change counter in the same
// transaction (a statement trigger, so even a hand-written UPDATE counts).
// A Registry on every instance polls that counter every 250 ms and, when
// it moved, reloads everything into an immutable snapshot it swaps in
// atomically: a revoked key stops working on every instance within a
// second, and resolving a key, a tenant's default sender or a number's
// tenant reads no database.
//
// API keys are stored only as SHA-256 hashes, with their last four
// characters for display; the key itself is shown once, when created.
// Keys from the YAML config are upserted at start (Bootstrap, source
// "config"); keys the file no longer lists are revoked.
//
// The package owns no consent state (pipeline/consent) and serves no
// wire protocol (api/).
package tenants
