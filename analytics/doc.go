// Package analytics owns tern's ClickHouse side: the schema and its
// migrations, the writer that moves the Kafka submit, events, engagements
// and replies topics into ClickHouse in batches, the report queries
// behind the API (campaign stats and reports, delivery reports, message
// search and export, one message's history), and list hygiene's
// classification job and report.
//
// The events table holds one row per status event, enriched at write
// time (country, sender, price, carrier cost), and is written
// at-least-once: a record may land twice after a crash or a rebalance, and
// events arrive out of order across the topics. Queries of messages
// therefore reduce a message to its latest state themselves — highest
// core.Status.Rank, then latest event time, then highest status — and
// count distinct messages, so duplicates never change an answer.
//
// The reports read aggregates of facts instead (facts.go): one row per
// stage a message reached, which the writer adds only after looking up
// what the message already has, so each stage counts once and plain sums
// are exact. The aggregates are materialized views; no report joins.
//
// Report queries are shared fairly: each tenant has a bound on the queries
// it runs at once and starts a second (ErrReadLimited beyond them), and all
// of them together use only part of the connection pool, the rest being the
// writer's (Config.MaxConns, ReadConns, TenantReads, TenantReadRate).
//
// The package reads Kafka and writes ClickHouse only. It must not produce to
// Kafka itself (records it gives up on go to the DeadLetterSink it is
// given; hygiene suppressions go through the Suppressor it is given),
// decide message status (it records what the pipeline reports), or import
// api, pipeline or carriers; its queries must run on ClickHouse 18.16 as
// well as on current releases.
package analytics
