package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Endpoint is a registered endpoint, without its secrets.
type Endpoint struct {
	ID             string
	Tenant         string
	URL            string
	Events         []string
	Description    string
	Enabled        bool
	DisabledReason string
	FailingSince   time.Time
	Created        time.Time
	// PreviousExpires is when a rotated-out secret stops signing; zero
	// when there is none.
	PreviousExpires time.Time
}

// MaxEndpoints is the most endpoints a tenant may have.
const MaxEndpoints = 20

const endpointCols = `id, tenant_id, url, events, description, enabled, disabled_reason, failing_since, created_at, previous_expires_at`

func scanEndpoint(r pgx.Row) (Endpoint, error) {
	var e Endpoint
	var failing, prev *time.Time
	err := r.Scan(&e.ID, &e.Tenant, &e.URL, &e.Events, &e.Description, &e.Enabled, &e.DisabledReason, &failing, &e.Created, &prev)
	if failing != nil {
		e.FailingSince = *failing
	}
	if prev != nil {
		e.PreviousExpires = *prev
	}
	return e, err
}

func (o *Outbox) checkEndpoint(url string, events []string, desc string) error {
	if err := CheckURL(url, o.cfg.Client.Allow); err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			return invalid("url", re.Error()+"; only public addresses")
		}
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	if len(desc) > 500 || !utf8.ValidString(desc) {
		return invalid("description", "at most 500 bytes of UTF-8")
	}
	return nil
}

// CreateEndpoint registers an endpoint for tenant and returns it with
// its secret, which is shown only now.
func (o *Outbox) CreateEndpoint(ctx context.Context, tenant, url string, events []string, desc string) (Endpoint, string, error) {
	if err := o.checkEndpoint(url, events, desc); err != nil {
		return Endpoint{}, "", err
	}
	var n int
	if err := o.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1`, tenant).Scan(&n); err != nil {
		return Endpoint{}, "", fmt.Errorf("webhook endpoints: %w", err)
	}
	if n >= MaxEndpoints {
		return Endpoint{}, "", invalid("url", fmt.Sprintf("a tenant has at most %d endpoints", MaxEndpoints))
	}
	var b [8]byte
	rand.Read(b[:])
	secret := NewSecret()
	e, err := scanEndpoint(o.pool.QueryRow(ctx, `INSERT INTO webhook_endpoints (id, tenant_id, url, events, description, secret)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+endpointCols, "we_"+hex.EncodeToString(b[:]), tenant, url, events, desc, secret))
	if err != nil {
		return Endpoint{}, "", fmt.Errorf("create webhook endpoint: %w", err)
	}
	o.snap.Store(nil)
	return e, secret, nil
}

// Endpoints lists tenant's endpoints, oldest first.
func (o *Outbox) Endpoints(ctx context.Context, tenant string) ([]Endpoint, error) {
	rows, err := o.pool.Query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("webhook endpoints: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Endpoint, error) { return scanEndpoint(r) })
}

// Update is a change of an endpoint; nil fields stay.
type Update struct {
	URL         *string
	Events      []string // nil keeps them
	Description *string
	Enabled     *bool
}

// UpdateEndpoint changes tenant's endpoint id. Enabling clears its
// failure record.
func (o *Outbox) UpdateEndpoint(ctx context.Context, tenant, id string, u Update) (Endpoint, error) {
	cur, err := o.endpoint(ctx, tenant, id)
	if err != nil {
		return Endpoint{}, err
	}
	url, events, desc := cur.URL, cur.Events, cur.Description
	if u.URL != nil {
		url = *u.URL
	}
	if u.Events != nil {
		events = u.Events
	}
	if u.Description != nil {
		desc = *u.Description
	}
	if err := o.checkEndpoint(url, events, desc); err != nil {
		return Endpoint{}, err
	}
	enabled := cur.Enabled
	if u.Enabled != nil {
		enabled = *u.Enabled
	}
	e, err := scanEndpoint(o.pool.QueryRow(ctx, `UPDATE webhook_endpoints SET url = $3, events = $4, description = $5, enabled = $6,
			disabled_reason = CASE WHEN $6 THEN '' WHEN enabled THEN 'disabled by the tenant' ELSE disabled_reason END,
			failing_since = CASE WHEN $6 AND NOT enabled THEN NULL ELSE failing_since END, updated_at = now()
		WHERE tenant_id = $1 AND id = $2 RETURNING `+endpointCols, tenant, id, url, events, desc, enabled))
	if err != nil {
		return Endpoint{}, fmt.Errorf("update webhook endpoint: %w", err)
	}
	o.snap.Store(nil)
	return e, nil
}

// DeleteEndpoint removes tenant's endpoint id and what it had still to
// receive. Deleting again is harmless.
func (o *Outbox) DeleteEndpoint(ctx context.Context, tenant, id string) error {
	err := pgx.BeginFunc(ctx, o.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, tenant, id)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM webhook_outbox WHERE endpoint_id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete webhook endpoint: %w", err)
	}
	o.snap.Store(nil)
	return nil
}

// MaxPreviousValid bounds how long a rotated-out secret may stay valid.
const MaxPreviousValid = 7 * 24 * time.Hour

// RotateSecret gives tenant's endpoint id a new secret and returns it;
// the old one keeps signing for previousValid.
func (o *Outbox) RotateSecret(ctx context.Context, tenant, id string, previousValid time.Duration) (Endpoint, string, error) {
	if previousValid < 0 || previousValid > MaxPreviousValid {
		return Endpoint{}, "", invalid("previous_valid_for", "0 to 7 days")
	}
	secret := NewSecret()
	e, err := scanEndpoint(o.pool.QueryRow(ctx, `UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,
			previous_expires_at = $4, updated_at = now()
		WHERE tenant_id = $1 AND id = $2 RETURNING `+endpointCols, tenant, id, secret, o.now().Add(previousValid)))
	if errors.Is(err, pgx.ErrNoRows) {
		return Endpoint{}, "", ErrNotFound
	}
	if err != nil {
		return Endpoint{}, "", fmt.Errorf("rotate webhook secret: %w", err)
	}
	return e, secret, nil
}

func (o *Outbox) endpoint(ctx context.Context, tenant, id string) (Endpoint, error) {
	e, err := scanEndpoint(o.pool.QueryRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, tenant, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Endpoint{}, ErrNotFound
	}
	if err != nil {
		return Endpoint{}, fmt.Errorf("webhook endpoint: %w", err)
	}
	return e, nil
}

// secrets returns the secrets signing endpoint id's posts now, the
// current first, its URL and whether it is enabled.
func (o *Outbox) secrets(ctx context.Context, id string) (url string, secrets []string, enabled bool, err error) {
	var cur, prev string
	var expires *time.Time
	err = o.pool.QueryRow(ctx, `SELECT url, secret, previous_secret, previous_expires_at, enabled FROM webhook_endpoints WHERE id = $1`, id).
		Scan(&url, &cur, &prev, &expires, &enabled)
	if err != nil {
		return "", nil, false, err
	}
	secrets = []string{cur}
	if prev != "" && expires != nil && o.now().Before(*expires) {
		secrets = append(secrets, prev)
	}
	return url, secrets, enabled, nil
}

// snapshot is every enabled endpoint's id and events, by tenant, for
// Emit.
type snapshot struct {
	at      time.Time
	tenants map[string][]Endpoint
}

// snapshotTTL is how old a snapshot Emit uses may be: a change on
// another instance reaches Emit within it.
const snapshotTTL = time.Second

func (o *Outbox) endpoints(ctx context.Context) (*snapshot, error) {
	if s := o.snap.Load(); s != nil && o.now().Sub(s.at) < snapshotTTL {
		return s, nil
	}
	o.snapMu.Lock()
	defer o.snapMu.Unlock()
	if s := o.snap.Load(); s != nil && o.now().Sub(s.at) < snapshotTTL {
		return s, nil
	}
	rows, err := o.pool.Query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE enabled`)
	if err != nil {
		return nil, fmt.Errorf("webhook endpoints: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Endpoint, error) { return scanEndpoint(r) })
	if err != nil {
		return nil, fmt.Errorf("webhook endpoints: %w", err)
	}
	s := &snapshot{at: o.now(), tenants: map[string][]Endpoint{}}
	for _, e := range list {
		s.tenants[e.Tenant] = append(s.tenants[e.Tenant], e)
	}
	o.snap.Store(s)
	return s, nil
}
