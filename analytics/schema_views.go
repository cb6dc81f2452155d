package analytics

import (
	"fmt"
	"strings"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/hygiene"
)

// funnelStatuses are the final statuses a funnel counts, in the order of
// funnelColumns after accepted and submitted.
var funnelStatuses = []core.Status{
	core.StatusDelivered, core.StatusUndelivered, core.StatusFailed, core.StatusExpired,
	core.StatusRejected, core.StatusUnknown, core.StatusCanceled,
}

// funnelColumns sums a fact aggregate's messages into the funnel's
// columns, named after the statuses: accepted, submitted, delivered, …,
// then segments, price_micros and cost_micros (each from its stage).
func funnelColumns() string {
	var b strings.Builder
	b.WriteString("sumIf(messages, stage = 1) AS accepted, sumIf(messages, stage = 2) AS submitted")
	for _, st := range funnelStatuses {
		fmt.Fprintf(&b, ", sumIf(messages, stage = 3 AND status = %d) AS %s", st, st)
	}
	b.WriteString(", sumIf(segments, stage = 1) AS segments, sumIf(price_micros, stage = 1) AS price_micros, sumIf(cost_micros, stage = 2) AS cost_micros")
	return b.String()
}

// analystViews are the documented views analysts query (docs/analytics.md).
// They present money in one currency per tenant (the API reports each
// currency apart).
var analystViews = []string{
	`CREATE VIEW IF NOT EXISTS {db}.v_messages AS
	SELECT
		tenant_id, message_id,
		argMax(e_status, k) AS status,
		max(e_recipient) AS recipient, max(e_campaign) AS campaign_id, max(e_flow) AS flow_id,
		max(e_category) AS category, max(e_region) AS country, max(e_sender) AS sender,
		argMaxIf(e_carrier, k, e_carrier != '') AS carrier,
		max(e_encoding) AS encoding, max(e_segments) AS segments,
		max(e_price) AS price_micros, max(e_currency) AS currency,
		max(e_cost) AS cost_micros, max(e_cost_currency) AS cost_currency,
		argMax(e_error, k) AS error_code, argMax(e_reason, k) AS reason,
		minIf(e_time, e_status = 1) AS accepted_at,
		minIf(e_time, e_status = 2) AS submitted_at,
		if(argMax(e_rank, k) = 3, argMax(e_time, k), toDateTime(0)) AS final_at
	FROM (
		SELECT tenant_id, message_id, ` + latestKey + ` AS k,
			status AS e_status, status_rank AS e_rank, event_time AS e_time, recipient AS e_recipient,
			campaign_id AS e_campaign, flow_id AS e_flow, category AS e_category, region AS e_region,
			sender AS e_sender, carrier AS e_carrier, encoding AS e_encoding, segments AS e_segments,
			price_micros AS e_price, currency AS e_currency, cost_micros AS e_cost, cost_currency AS e_cost_currency,
			error_code AS e_error, reason AS e_reason
		FROM {db}.events
	)
	GROUP BY tenant_id, message_id`,

	`CREATE VIEW IF NOT EXISTS {db}.v_campaign_minute AS
	SELECT tenant_id, campaign_id, minute, ` + funnelColumns() + `,
		anyIf(currency, currency != '') AS currency, anyIf(cost_currency, cost_currency != '') AS cost_currency
	FROM {db}.campaign_minute
	GROUP BY tenant_id, campaign_id, minute`,

	`CREATE VIEW IF NOT EXISTS {db}.v_delivery_daily AS
	SELECT tenant_id, day, country, carrier, sender, category, campaign_id, ` + funnelColumns() + `,
		anyIf(currency, currency != '') AS currency, anyIf(cost_currency, cost_currency != '') AS cost_currency
	FROM {db}.delivery_daily
	GROUP BY tenant_id, day, country, carrier, sender, category, campaign_id`,

	`CREATE VIEW IF NOT EXISTS {db}.v_hygiene AS
	SELECT tenant_id, recipient, class, ` + classNameSQL("class") + ` AS class_name, detail, country,
		messages, not_delivered, spent_micros, currency, last_attempt, last_delivered, suppressed,
		toDateTime(intDiv(run_id, 1000)) AS classified_at
	FROM {db}.hygiene_numbers
	WHERE (tenant_id, run_id) IN (SELECT tenant_id, max(run_id) FROM {db}.hygiene_runs GROUP BY tenant_id)`,

	`CREATE VIEW IF NOT EXISTS {db}.v_error_codes AS
	SELECT tenant_id, hour, campaign_id, carrier, country, status, error_code, sum(messages) AS messages
	FROM {db}.error_codes
	GROUP BY tenant_id, hour, campaign_id, carrier, country, status, error_code`,

	`CREATE VIEW IF NOT EXISTS {db}.v_latency AS
	SELECT tenant_id, campaign_id, carrier, stage, minute,
		countMerge(samples) AS samples,
		quantilesTDigestMerge(0.5, 0.95, 0.99)(quantiles) AS ms
	FROM {db}.latency
	GROUP BY tenant_id, campaign_id, carrier, stage, minute`,
}

// classNameSQL names a hygiene class column's value in words.
func classNameSQL(col string) string {
	ids, names := make([]string, len(hygiene.Classes)), make([]string, len(hygiene.Classes))
	for i, c := range hygiene.Classes {
		ids[i], names[i] = fmt.Sprint(uint8(c)), "'"+c.String()+"'"
	}
	return fmt.Sprintf("transform(%s, [%s], [%s], '')", col, strings.Join(ids, ", "), strings.Join(names, ", "))
}
