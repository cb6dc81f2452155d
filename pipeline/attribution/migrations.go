package attribution

import (
	"context"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// migrations are the attribution schema, with its own version table.
// Append only.
var migrations = []string{
	1: `
-- Touches: marketing messages sent and tracked links clicked, per
-- customer. kind is 'click' or 'message'. Pruned past the longest window.
CREATE TABLE attribution_touches (
	tenant_id   text        NOT NULL,
	phone       text        NOT NULL,
	kind        text        NOT NULL,
	message_id  text        NOT NULL,
	campaign_id text        NOT NULL DEFAULT '',
	flow_id     text        NOT NULL DEFAULT '',
	at          timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, kind, message_id, at)
);
CREATE INDEX attribution_touches_phone ON attribution_touches (tenant_id, phone, kind, at);
CREATE INDEX attribution_touches_at ON attribution_touches (at);

-- Orders noted; attributed once due (a grace period after they were
-- noted). model is '' while pending, 'click', 'message' or 'none' once
-- attributed; published once its record is on the attributions topic.
CREATE TABLE attribution_orders (
	tenant_id     text        NOT NULL,
	order_id      text        NOT NULL,
	order_name    text        NOT NULL DEFAULT '',
	phone         text        NOT NULL,
	amount_micros bigint      NOT NULL,
	currency      text        NOT NULL DEFAULT '',
	ordered_at    timestamptz NOT NULL,
	due_at        timestamptz NOT NULL,
	model         text        NOT NULL DEFAULT '',
	campaign_id   text        NOT NULL DEFAULT '',
	flow_id       text        NOT NULL DEFAULT '',
	message_id    text        NOT NULL DEFAULT '',
	touched_at    timestamptz,
	published     boolean     NOT NULL DEFAULT false,
	PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX attribution_orders_due ON attribution_orders (due_at) WHERE model = '';
CREATE INDEX attribution_orders_unpublished ON attribution_orders (due_at) WHERE model NOT IN ('', 'none') AND NOT published;

-- A tenant's windows; a tenant without a row has the defaults.
CREATE TABLE attribution_settings (
	tenant_id      text     PRIMARY KEY,
	click_window   interval NOT NULL,
	message_window interval NOT NULL
);
`,
}

func (a *Attributor) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, a.pool, pgschema.Set{
		Name: "attribution", Table: "attribution_migrations", Steps: migrations, LockID: 0x61747472, // "attr"
	}, a.log)
}
