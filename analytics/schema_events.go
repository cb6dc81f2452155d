package analytics

// enrichedColumns are what the writer adds to every event at write time
// (migration 3), beside what the record itself carries: the flow (from
// the message's origin), the sender, the tenant's price and its currency
// (from the message's Submit), on a carrier's accept the carrier's cost
// for the segments and its currency (from the route's cost), and whether
// the row is the message's Submit.
var enrichedColumns = []column{
	{"events", "flow_id", "String DEFAULT ''"},
	{"events", "sender", "String DEFAULT ''"},
	{"events", "price_micros", "Int64 DEFAULT 0"},
	{"events", "currency", "String DEFAULT ''"},
	{"events", "cost_micros", "Int64 DEFAULT 0"},
	{"events", "cost_currency", "String DEFAULT ''"},
	{"events", "origin", "String DEFAULT ''"},
	{"events", "submit", "UInt8 DEFAULT 0"},
}

// recipientIndex lists a tenant's messages without grouping its events:
// one row per accepted message (its Submit; a copy is harmless), newest
// last, in message_index by time, in campaign_index by campaign and in
// recipient_messages by number.
// ListMessages and the attribution of opt-outs read them. Rows written
// before these columns existed are indexed from their QUEUED events.
var recipientIndex = []string{
	`CREATE TABLE IF NOT EXISTS {db}.message_index (
		tenant_id   String,
		accepted    DateTime,
		message_id  String,
		recipient   String,
		campaign_id String
	) ENGINE = ReplacingMergeTree()
	PARTITION BY toYYYYMM(accepted)
	ORDER BY (tenant_id, accepted, message_id)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.message_index_mv TO {db}.message_index AS
	SELECT tenant_id, event_time AS accepted, message_id, recipient, campaign_id
	FROM {db}.events WHERE submit = 1`,
	`INSERT INTO {db}.message_index (tenant_id, accepted, message_id, recipient, campaign_id)
	SELECT tenant_id, min(event_time), message_id, any(recipient), any(campaign_id)
	FROM {db}.events WHERE status = 1 AND submit = 0
	GROUP BY tenant_id, message_id`,

	`CREATE TABLE IF NOT EXISTS {db}.campaign_index (
		tenant_id   String,
		campaign_id String,
		accepted    DateTime,
		message_id  String
	) ENGINE = ReplacingMergeTree()
	PARTITION BY toYYYYMM(accepted)
	ORDER BY (tenant_id, campaign_id, accepted, message_id)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.campaign_index_mv TO {db}.campaign_index AS
	SELECT tenant_id, campaign_id, event_time AS accepted, message_id
	FROM {db}.events WHERE submit = 1 AND campaign_id != ''`,
	`INSERT INTO {db}.campaign_index (tenant_id, campaign_id, accepted, message_id)
	SELECT tenant_id, any(campaign_id), min(event_time), message_id
	FROM {db}.events WHERE status = 1 AND submit = 0 AND campaign_id != ''
	GROUP BY tenant_id, message_id`,

	`CREATE TABLE IF NOT EXISTS {db}.recipient_messages (
		tenant_id   String,
		recipient   String,
		accepted    DateTime,
		message_id  String,
		campaign_id String
	) ENGINE = ReplacingMergeTree()
	PARTITION BY toYYYYMM(accepted)
	ORDER BY (tenant_id, recipient, accepted, message_id)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.recipient_messages_mv TO {db}.recipient_messages AS
	SELECT tenant_id, recipient, event_time AS accepted, message_id, campaign_id
	FROM {db}.events WHERE submit = 1`,
	`INSERT INTO {db}.recipient_messages (tenant_id, recipient, accepted, message_id, campaign_id)
	SELECT tenant_id, any(recipient), min(event_time), message_id, any(campaign_id)
	FROM {db}.events WHERE status = 1 AND submit = 0
	GROUP BY tenant_id, message_id`,
}
