package flows

import (
	"context"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// migrations are the flows' schema, with their own version table.
// Append only.
var migrations = []string{
	1: `
-- A tenant's settings of a catalogue flow (core/flow.Settings as JSON).
CREATE TABLE flow_settings (
	tenant_id  text        NOT NULL,
	flow_id    text        NOT NULL,
	enabled    boolean     NOT NULL DEFAULT false,
	settings   jsonb       NOT NULL DEFAULT '{}',
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, flow_id)
);

-- One run of a flow for one customer. once_key makes a run unique per
-- flow and subject. step is the next step to run, at due_at; state 1 is
-- waiting, 2 completed, 3 exited. claim and claimed_until are the lease
-- of the instance advancing it. published is set once its end is on
-- the flow runs topic.
CREATE TABLE flow_runs (
	id               bigserial   PRIMARY KEY,
	tenant_id        text        NOT NULL,
	flow_id          text        NOT NULL,
	once_key         text        NOT NULL,
	trigger_event_id text        NOT NULL DEFAULT '',
	phone            text        NOT NULL DEFAULT '',
	checkout_id      text        NOT NULL DEFAULT '',
	order_id         text        NOT NULL DEFAULT '',
	customer_key     text        NOT NULL DEFAULT '',
	vars             jsonb       NOT NULL DEFAULT '{}',
	step             int         NOT NULL DEFAULT 0,
	state            smallint    NOT NULL DEFAULT 1,
	due_at           timestamptz,
	claim            bigint      NOT NULL DEFAULT 0,
	claimed_until    timestamptz,
	exit_reason      text        NOT NULL DEFAULT '',
	sent             int         NOT NULL DEFAULT 0,
	published        boolean     NOT NULL DEFAULT false,
	started_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, flow_id, once_key)
);
CREATE INDEX flow_runs_due ON flow_runs (due_at) WHERE state = 1;
CREATE INDEX flow_runs_checkout ON flow_runs (tenant_id, checkout_id) WHERE state = 1 AND checkout_id <> '';
CREATE INDEX flow_runs_order ON flow_runs (tenant_id, order_id) WHERE state = 1 AND order_id <> '';
CREATE INDEX flow_runs_customer ON flow_runs (tenant_id, customer_key) WHERE state = 1 AND customer_key <> '';
CREATE INDEX flow_runs_list ON flow_runs (tenant_id, id);
CREATE INDEX flow_runs_phone ON flow_runs (tenant_id, phone, id);
CREATE INDEX flow_runs_unpublished ON flow_runs (updated_at) WHERE state <> 1 AND NOT published;

-- What each step of a run did, for ListFlowRuns.
CREATE TABLE flow_run_log (
	id         bigserial   PRIMARY KEY,
	run_id     bigint      NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
	at         timestamptz NOT NULL DEFAULT now(),
	step       text        NOT NULL DEFAULT '',
	outcome    text        NOT NULL,
	detail     text        NOT NULL DEFAULT '',
	message_id text        NOT NULL DEFAULT ''
);
CREATE INDEX flow_run_log_run ON flow_run_log (run_id, id);

-- Back-in-stock subscriptions; notified_at is set once a run was
-- started for it.
CREATE TABLE flow_stock_subscriptions (
	id           bigserial   PRIMARY KEY,
	tenant_id    text        NOT NULL,
	variant_id   text        NOT NULL,
	customer_key text        NOT NULL,
	phone        text        NOT NULL,
	vars         jsonb       NOT NULL DEFAULT '{}',
	event_id     text        NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL DEFAULT now(),
	notified_at  timestamptz
);
CREATE UNIQUE INDEX flow_stock_subscriptions_open ON flow_stock_subscriptions (tenant_id, variant_id, customer_key)
	WHERE notified_at IS NULL;

-- Each customer's last order, for win-back and for not reminding of a
-- checkout already ordered. lapse_order_id is the last order a win-back
-- run was started after.
CREATE TABLE flow_customers (
	tenant_id      text        NOT NULL,
	customer_key   text        NOT NULL,
	phone          text        NOT NULL,
	vars           jsonb       NOT NULL DEFAULT '{}',
	last_order_id  text        NOT NULL,
	last_order_at  timestamptz NOT NULL,
	lapse_order_id text        NOT NULL DEFAULT '',
	PRIMARY KEY (tenant_id, customer_key)
);
CREATE INDEX flow_customers_lapse ON flow_customers (tenant_id, last_order_at);

-- Orders seen: a checkout event arriving after its order starts no
-- reminder, and a later event of the order (a shipment, a payment)
-- lends its runs the order's variables (its page, the customer's name).
CREATE TABLE flow_orders (
	tenant_id   text        NOT NULL,
	order_id    text        NOT NULL,
	checkout_id text        NOT NULL DEFAULT '',
	vars        jsonb       NOT NULL DEFAULT '{}',
	at          timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX flow_orders_checkout ON flow_orders (tenant_id, checkout_id) WHERE checkout_id <> '';

-- Daily jobs every instance may try; one runs each day.
CREATE TABLE flow_jobs (
	name     text        PRIMARY KEY,
	last_run timestamptz NOT NULL
);
`,
}

func (e *Engine) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, e.pool, pgschema.Set{
		Name: "flows", Table: "flows_migrations", Steps: migrations, LockID: 0x666c6f77, // "flow"
	}, e.log)
}
