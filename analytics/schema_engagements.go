package analytics

// engagementTables hold what recipients did because of a message: clicks,
// orders, opt-outs, verifications (record tern.record.v1.Engagement).
// Records may be written more than once; a tenant's engagements of one
// kind with the same id count once, so the queries group by id.
var engagementTables = []string{
	`CREATE TABLE IF NOT EXISTS {db}.engagements (
		tenant_id     String,
		campaign_id   String,
		kind          UInt8,
		id            String,
		message_id    String,
		flow_id       String,
		recipient     String,
		amount_micros Int64,
		currency      String,
		time          DateTime,
		detail        String,
		inserted_at   DateTime DEFAULT now()
	) ENGINE = ReplacingMergeTree(inserted_at)
	PARTITION BY toYYYYMM(time)
	ORDER BY (tenant_id, campaign_id, kind, id)`,
}
