package tenants

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/keyword"
	"github.com/ternsms/tern/core/sender"
)

// PollEvery is how often a Registry checks the change counter.
const PollEvery = 250 * time.Millisecond

// KeyInfo is what an API key grants.
type KeyInfo struct {
	ID string
	// Tenant is "" for an operator key.
	Tenant string
	Scopes Scope
}

// View is one tenant as the hot path sees it: the policy with its
// defaults, the classifier its replies are read with, the sender rules
// with its overrides and registrations. Shared: do not modify.
type View struct {
	Tenant
	Policy     consent.Policy
	Classifier *keyword.Classifier
	Rules      sender.Rules
	Senders    []Sender
	// DefaultSender is the id a message naming none goes from; "" when
	// the tenant has none (the carrier's default applies).
	DefaultSender string
	owned         map[string]bool // normalized sender ids
}

// snapshot is everything a Registry serves, immutable once built.
type snapshot struct {
	version int64
	keys    map[[sha256.Size]byte]KeyInfo
	tenants map[string]*View
	numbers map[string]string // normalized number -> tenant
}

// Registry serves tenants, keys and senders from memory, reloaded within
// a second of any change on any instance (Run). Its reads take no lock
// and read no database. Safe for concurrent use.
type Registry struct {
	s   *Store
	log *slog.Logger
	cur atomic.Pointer[snapshot]
}

// NewRegistry loads everything from s once.
func NewRegistry(ctx context.Context, s *Store) (*Registry, error) {
	r := &Registry{s: s, log: s.log}
	if err := r.reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Run polls the change counter every PollEvery and reloads on a change,
// until ctx ends. A failed poll or reload is logged and retried; the
// last snapshot keeps serving meanwhile.
func (r *Registry) Run(ctx context.Context) error {
	t := time.NewTicker(PollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		var v int64
		if err := r.s.pool.QueryRow(ctx, `SELECT version FROM tenant_registry_version`).Scan(&v); err != nil {
			if ctx.Err() == nil {
				r.log.Warn("tenant registry poll", "err", err)
			}
			continue
		}
		if v == r.cur.Load().version {
			continue
		}
		if err := r.reload(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("tenant registry reload", "err", err)
		}
	}
}

// reload reads everything in one consistent snapshot.
func (r *Registry) reload(ctx context.Context) error {
	snap := &snapshot{keys: map[[sha256.Size]byte]KeyInfo{}, tenants: map[string]*View{}, numbers: map[string]string{}}
	err := pgx.BeginTxFunc(ctx, r.s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM tenant_registry_version`).Scan(&snap.version); err != nil {
			return err
		}
		ts, err := r.s.queryTenants(ctx, tx, `SELECT id, name, policy, sender_rules, source, created_at FROM tenants`)
		if err != nil {
			return err
		}
		for _, t := range ts {
			snap.tenants[t.ID] = r.view(t)
		}
		if err := loadKeys(ctx, tx, snap); err != nil {
			return err
		}
		return loadSenders(ctx, tx, snap)
	})
	if err != nil {
		return fmt.Errorf("tenant registry: %w", err)
	}
	r.cur.Store(snap)
	return nil
}

func (r *Registry) view(t Tenant) *View {
	v := &View{Tenant: t, owned: map[string]bool{}}
	v.Policy = t.Policy.WithDefaults(t.Name)
	c, err := keyword.New(t.Policy.Keywords)
	if err != nil {
		r.log.Error("tenant keywords unusable; built-in sets apply", "tenant", t.ID, "err", err)
		c = keyword.Default()
	}
	v.Classifier = c
	v.Rules = sender.DefaultRules().With(t.SenderRules)
	return v
}

func loadKeys(ctx context.Context, tx pgx.Tx, snap *snapshot) error {
	rows, err := tx.Query(ctx, `SELECT id, coalesce(tenant_id, ''), hash, scopes FROM api_keys WHERE revoked_at IS NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k KeyInfo
		var hash []byte
		var names []string
		if err := rows.Scan(&k.ID, &k.Tenant, &hash, &names); err != nil {
			return err
		}
		k.Scopes, _ = ParseScopes(names)
		snap.keys[[sha256.Size]byte(hash)] = k
	}
	return rows.Err()
}

func loadSenders(ctx context.Context, tx pgx.Tx, snap *snapshot) error {
	rows, err := tx.Query(ctx, `SELECT tenant_id, norm, sender_id, kind, countries, is_default FROM senders ORDER BY tenant_id, is_default DESC, norm`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var tenant, norm string
		var sn Sender
		var kind int16
		if err := rows.Scan(&tenant, &norm, &sn.ID, &kind, &sn.Countries, &sn.Default); err != nil {
			return err
		}
		sn.Kind = sender.Kind(kind)
		v := snap.tenants[tenant]
		v.Senders = append(v.Senders, sn)
		v.owned[norm] = true
		if sn.Default {
			v.DefaultSender = sn.ID
		}
		if sn.Kind == sender.KindAlphanumeric {
			if len(sn.Countries) > 0 {
				v.Rules = v.Rules.Register(sn.ID, sn.Countries...)
			}
		} else {
			snap.numbers[norm] = tenant
		}
	}
	return rows.Err()
}

// Authorize returns what key grants; false for an unknown or revoked key.
func (r *Registry) Authorize(key string) (KeyInfo, bool) {
	k, ok := r.cur.Load().keys[Hash(key)]
	return k, ok
}

// Tenant returns a tenant's view.
func (r *Registry) Tenant(id string) (*View, bool) {
	v, ok := r.cur.Load().tenants[id]
	return v, ok
}

// Owns tells whether tenant may send from the id from. A tenant with no
// sender ids at all may send from any (as before senders were kept);
// once it has one, only its own. An empty from is always allowed (the
// default sender applies).
func (r *Registry) Owns(tenant, from string) bool {
	v, ok := r.Tenant(tenant)
	if !ok {
		return false
	}
	if strings.TrimSpace(from) == "" || len(v.owned) == 0 {
		return true
	}
	return v.owned[sender.Normalize(from)]
}

// DefaultSender returns the id tenant's messages that name none go from.
func (r *Registry) DefaultSender(tenant string) string {
	if v, ok := r.Tenant(tenant); ok {
		return v.DefaultSender
	}
	return ""
}

// TenantByNumber returns the tenant a number or short code belongs to:
// the one whose sender it is. A reply sent to it is that tenant's.
func (r *Registry) TenantByNumber(to string) (string, bool) {
	t, ok := r.cur.Load().numbers[sender.Normalize(to)]
	return t, ok
}

// Version is the change counter of the snapshot being served.
func (r *Registry) Version() int64 { return r.cur.Load().version }
