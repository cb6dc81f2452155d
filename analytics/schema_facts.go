package analytics

// factTables hold the facts: what the reports count. A fact is one stage a
// message reached — accepted (from its Submit), submitted (its first
// carrier accept) and final (its latest final status) — with everything
// the reports group by copied in at write time, so that no report joins.
// The writer looks a message's facts up before it adds any (facts.go):
// each stage is recorded once however often its records are read, and a
// later final status cancels the earlier one with a sign -1 copy. Sums
// over sign are therefore exact, and the aggregates below are plain sums.
var factTables = []string{
	`CREATE TABLE IF NOT EXISTS {db}.facts (
		tenant_id     String,
		message_id    String,
		stage         UInt8,
		sign          Int8,
		time          DateTime,
		t_ns          UInt64,
		status        UInt8,
		campaign_id   String,
		flow_id       String,
		category      UInt8,
		country       String,
		carrier       String,
		sender        String,
		encoding      UInt8,
		segments      UInt16,
		price_micros  Int64,
		currency      String,
		cost_micros   Int64,
		cost_currency String,
		error_code    String,
		latency_ms    UInt32,
		sample        UInt8,
		inserted_at   DateTime DEFAULT now()
	) ENGINE = MergeTree()
	PARTITION BY toYYYYMM(time)
	ORDER BY (tenant_id, message_id, stage)`,
}

// factSums are the sums every fact aggregate keeps.
const factSums = `sum(sign) AS messages,
		sum(sign * segments) AS segments,
		sum(sign * price_micros) AS price_micros,
		sum(sign * cost_micros) AS cost_micros`

// factAggregates are the aggregates the reports and dashboards read
// (migration 5): per campaign and minute; per day, country, carrier,
// sender, category and campaign; error codes per hour; latency quantile
// states per minute. Price sits on accepted facts, cost on submitted ones.
var factAggregates = []string{
	`CREATE TABLE IF NOT EXISTS {db}.campaign_minute (
		tenant_id String, campaign_id String, minute DateTime, stage UInt8, status UInt8,
		currency String, cost_currency String,
		messages Int64, segments Int64, price_micros Int64, cost_micros Int64
	) ENGINE = SummingMergeTree()
	PARTITION BY toYYYYMM(minute)
	ORDER BY (tenant_id, campaign_id, minute, stage, status, currency, cost_currency)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.campaign_minute_mv TO {db}.campaign_minute AS
	SELECT tenant_id, campaign_id, toStartOfMinute(time) AS minute, stage, status, currency, cost_currency,
		` + factSums + `
	FROM {db}.facts
	GROUP BY tenant_id, campaign_id, minute, stage, status, currency, cost_currency`,

	`CREATE TABLE IF NOT EXISTS {db}.delivery_daily (
		tenant_id String, day Date, country String, carrier String, sender String, category UInt8,
		campaign_id String, stage UInt8, status UInt8, currency String, cost_currency String,
		messages Int64, segments Int64, price_micros Int64, cost_micros Int64
	) ENGINE = SummingMergeTree()
	PARTITION BY toYYYYMM(day)
	ORDER BY (tenant_id, day, country, carrier, sender, category, campaign_id, stage, status, currency, cost_currency)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.delivery_daily_mv TO {db}.delivery_daily AS
	SELECT tenant_id, toDate(time) AS day, country, carrier, sender, category, campaign_id, stage, status,
		currency, cost_currency,
		` + factSums + `
	FROM {db}.facts
	GROUP BY tenant_id, day, country, carrier, sender, category, campaign_id, stage, status, currency, cost_currency`,

	`CREATE TABLE IF NOT EXISTS {db}.error_codes (
		tenant_id String, hour DateTime, campaign_id String, carrier String, country String,
		status UInt8, error_code String, messages Int64
	) ENGINE = SummingMergeTree()
	PARTITION BY toYYYYMM(hour)
	ORDER BY (tenant_id, hour, campaign_id, carrier, country, status, error_code)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.error_codes_mv TO {db}.error_codes AS
	SELECT tenant_id, toStartOfHour(time) AS hour, campaign_id, carrier, country, status, error_code,
		sum(sign) AS messages
	FROM {db}.facts
	WHERE stage = 3 AND status != 3 AND error_code != ''
	GROUP BY tenant_id, hour, campaign_id, carrier, country, status, error_code`,

	`CREATE TABLE IF NOT EXISTS {db}.latency (
		tenant_id String, campaign_id String, carrier String, stage UInt8, minute DateTime,
		samples AggregateFunction(count),
		quantiles AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt32)
	) ENGINE = AggregatingMergeTree()
	PARTITION BY toYYYYMM(minute)
	ORDER BY (tenant_id, campaign_id, carrier, stage, minute)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.latency_mv TO {db}.latency AS
	SELECT tenant_id, campaign_id, carrier, stage, toStartOfMinute(time) AS minute,
		countState() AS samples,
		quantilesTDigestState(0.5, 0.95, 0.99)(latency_ms) AS quantiles
	FROM {db}.facts
	WHERE sample = 1
	GROUP BY tenant_id, campaign_id, carrier, stage, minute`,
}
