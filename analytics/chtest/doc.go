// Package chtest gives tests a ClickHouse database of their own on the
// server named by TERN_CLICKHOUSE_ADDR, so tests stay independent and can
// run in parallel, and, for faults the shared server must not see, a
// private server a test starts and stops (StartServer). It must only be
// imported by tests.
//
// Without TERN_CLICKHOUSE_ADDR a test is skipped, or fails when CI=true:
// CI must never pass by skipping. `make test` starts a local ClickHouse and
// sets the variable.
package chtest
