// Package analytics owns tern's ClickHouse side: the schema and its
// migrations, the writer that moves the Kafka submit and events topics into
// ClickHouse in batches, and the report queries behind the API (campaign
// stats, one message's status history).
//
// The events table holds one row per status event and is written
// at-least-once: a record may land twice after a crash or a rebalance, and
// events arrive out of order across the two topics. Every query therefore
// reduces a message to its latest state itself — highest core.Status.Rank,
// then latest event time, then highest status — and counts distinct
// messages, so duplicates never change an answer.
//
// Report queries are shared fairly: each tenant has a bound on the queries
// it runs at once and starts a second (ErrReadLimited beyond them), and all
// of them together use only part of the connection pool, the rest being the
// writer's (Config.MaxConns, ReadConns, TenantReads, TenantReadRate).
//
// The package reads Kafka and writes ClickHouse only. It must not produce to
// Kafka itself (records it gives up on go to the DeadLetterSink it is
// given), decide message status (it records what the pipeline reports), or
// import api, pipeline or carriers; its queries must run on ClickHouse 18.16
// as well as on current releases.
package analytics
