package analytics

// enrichedColumns are what the writer adds to every event at write time
// (migration 3), beside what the record itself carries: the flow (from
// the message's origin), the sender, the tenant's price and its currency
// (from the message's Submit), and on a carrier's accept the carrier's
// cost for the segments and its currency (from the route's cost).
var enrichedColumns = []column{
	{"events", "flow_id", "String DEFAULT ''"},
	{"events", "sender", "String DEFAULT ''"},
	{"events", "price_micros", "Int64 DEFAULT 0"},
	{"events", "currency", "String DEFAULT ''"},
	{"events", "cost_micros", "Int64 DEFAULT 0"},
	{"events", "cost_currency", "String DEFAULT ''"},
	{"events", "origin", "String DEFAULT ''"},
}

// recipientIndex finds a number's messages without scanning the
// tenant's: one row per accepted message (its QUEUED rows; copies are
// harmless), ordered by number. ListMessages by recipient and the
// attribution of opt-outs read it.
var recipientIndex = []string{
	`CREATE TABLE IF NOT EXISTS {db}.recipient_messages (
		tenant_id   String,
		recipient   String,
		message_id  String,
		campaign_id String,
		accepted    DateTime
	) ENGINE = ReplacingMergeTree()
	PARTITION BY toYYYYMM(accepted)
	ORDER BY (tenant_id, recipient, message_id)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.recipient_messages_mv
	TO {db}.recipient_messages
	AS ` + recipientMessagesSelect,
	`INSERT INTO {db}.recipient_messages (tenant_id, recipient, message_id, campaign_id, accepted) ` + recipientMessagesSelect,
}

const recipientMessagesSelect = `SELECT tenant_id, recipient, message_id, campaign_id, event_time AS accepted
	FROM {db}.events
	WHERE status = 1 AND recipient != ''`
