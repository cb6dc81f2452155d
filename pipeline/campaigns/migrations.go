package campaigns

var migrations = []string{
	1: `
-- Campaigns. cursor is the last contact id expanded; the counts move
-- with it, in the same transaction. withdraw_cursor is the last contact
-- whose message a cancel withdrew.
CREATE TABLE campaigns (
	tenant_id        text        NOT NULL,
	id               text        NOT NULL,
	name             text        NOT NULL,
	state            smallint    NOT NULL,
	audience         jsonb       NOT NULL,
	template_id      text        NOT NULL,
	template_version int         NOT NULL,
	sender           text        NOT NULL DEFAULT '',
	send_at          timestamptz,
	rate             int         NOT NULL DEFAULT 0,
	quiet_hours      text        NOT NULL DEFAULT '',
	validity_ms      bigint      NOT NULL DEFAULT 0,
	cursor           bigint      NOT NULL DEFAULT 0,
	expanded         bigint      NOT NULL DEFAULT 0,
	skipped          bigint      NOT NULL DEFAULT 0,
	failed           bigint      NOT NULL DEFAULT 0,
	queued           bigint      NOT NULL DEFAULT 0,
	segments         bigint      NOT NULL DEFAULT 0,
	cost_micros      bigint      NOT NULL DEFAULT 0,
	currency         text        NOT NULL DEFAULT '',
	withdraw_cursor  bigint      NOT NULL DEFAULT 0,
	withdrawn        bigint      NOT NULL DEFAULT 0,
	not_withdrawn    bigint      NOT NULL DEFAULT 0,
	withdraw_done    boolean     NOT NULL DEFAULT false,
	created_at       timestamptz NOT NULL DEFAULT now(),
	launched_at      timestamptz,
	completed_at     timestamptz,
	updated_at       timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX campaigns_work ON campaigns (state) WHERE state IN (2, 3) OR (state = 6 AND NOT withdraw_done);
CREATE INDEX campaigns_created ON campaigns (tenant_id, created_at DESC, id);

-- Every message a campaign queued, by contact: what a cancel withdraws
-- and a click names. message_id is empty when an earlier try queued the
-- message under the same key with another text (the contact changed).
CREATE TABLE campaign_messages (
	tenant_id   text        NOT NULL,
	campaign_id text        NOT NULL,
	contact_id  bigint      NOT NULL,
	message_id  text        NOT NULL,
	segments    int         NOT NULL,
	queued_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, campaign_id, contact_id)
);

-- The URLs of a campaign's text, by index: the only places its links
-- lead to.
CREATE TABLE campaign_links (
	tenant_id   text NOT NULL,
	campaign_id text NOT NULL,
	idx         int  NOT NULL,
	url         text NOT NULL,
	PRIMARY KEY (tenant_id, campaign_id, idx)
);
-- Each recipient's code for each link (core/link).
CREATE TABLE link_codes (
	code        text        PRIMARY KEY,
	tenant_id   text        NOT NULL,
	campaign_id text        NOT NULL,
	contact_id  bigint      NOT NULL,
	idx         int         NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now()
);

-- Grows with every state change, so that an actor's set of held
-- campaigns (States) reloads only when one changed.
CREATE TABLE campaign_states_version (version bigint NOT NULL);
INSERT INTO campaign_states_version VALUES (0);
`,
}
