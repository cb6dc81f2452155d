package analytics

// hygieneTables hold list hygiene's classifications (migration 7). Each
// run of the classifier writes every classified number of a tenant under
// its run id, then the run's row: a report reads the tenant's latest
// finished run only, so a run that stopped half way is never seen. Runs
// older than the one before the latest are deleted.
var hygieneTables = []string{
	`CREATE TABLE IF NOT EXISTS {db}.hygiene_numbers (
		tenant_id      String,
		run_id         UInt64,
		class          UInt8,
		recipient      String,
		detail         String,
		country        String,
		messages       UInt32,
		not_delivered  UInt32,
		spent_micros   Int64,
		currency       String,
		last_attempt   DateTime,
		last_delivered DateTime,
		suppressed     UInt8
	) ENGINE = MergeTree()
	ORDER BY (tenant_id, run_id, class, recipient)`,
	`CREATE TABLE IF NOT EXISTS {db}.hygiene_runs (
		tenant_id   String,
		run_id      UInt64,
		numbers     UInt64,
		classified  UInt64,
		finished_at DateTime
	) ENGINE = ReplacingMergeTree(finished_at)
	ORDER BY (tenant_id, run_id)`,
}
