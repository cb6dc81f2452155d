package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/flow"
)

// View is a catalogue flow as a tenant configured it.
type View struct {
	// Flow has the tenant's settings and the operator's overrides
	// applied.
	Flow     flow.Flow
	Enabled  bool
	Settings flow.Settings
}

// Flows returns the catalogue as tenant configured it, in catalogue
// order.
func (e *Engine) Flows(ctx context.Context, tenant string) ([]View, error) {
	m, err := e.views(ctx, e.pool, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(m))
	for _, f := range flow.Catalogue() {
		out = append(out, m[f.ID])
	}
	return out, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// views reads tenant's settings of every flow.
func (e *Engine) views(ctx context.Context, q querier, tenant string) (map[string]View, error) {
	rows, err := q.Query(ctx, `SELECT flow_id, enabled, settings FROM flow_settings WHERE tenant_id = $1`, tenant)
	if err != nil {
		return nil, fmt.Errorf("flow settings: %w", err)
	}
	defer rows.Close()
	set := map[string]flow.Settings{}
	for rows.Next() {
		var id string
		var s flow.Settings
		var raw []byte
		if err := rows.Scan(&id, &s.Enabled, &raw); err != nil {
			return nil, fmt.Errorf("flow settings: %w", err)
		}
		enabled := s.Enabled
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("flow settings of %s: %w", id, err)
		}
		s.Enabled = enabled
		set[id] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("flow settings: %w", err)
	}
	out := map[string]View{}
	for _, f := range flow.Catalogue() {
		s := set[f.ID]
		out[f.ID] = View{Flow: e.override(f.Apply(s)), Enabled: s.Enabled, Settings: s}
	}
	return out, nil
}

// override applies the operator's delays: a wait step waits d, a
// wait-until step becomes a wait of d.
func (e *Engine) override(f flow.Flow) flow.Flow {
	for i, st := range f.Steps {
		if d, ok := e.overrides[[2]string{f.ID, st.Name}]; ok && (st.Kind == flow.Wait || st.Kind == flow.WaitUntil) {
			f.Steps[i].Kind, f.Steps[i].Delay = flow.Wait, d
		}
	}
	return f
}

// SetEnabled turns tenant's flow on or off.
func (e *Engine) SetEnabled(ctx context.Context, tenant, id string, enabled bool) (View, error) {
	return e.update(ctx, tenant, id, func(_ flow.Flow, s flow.Settings) (flow.Settings, error) {
		s.Enabled = enabled
		return s, nil
	})
}

// Configure applies c to tenant's settings of flow id; a bad setting is
// a *flow.FieldError.
func (e *Engine) Configure(ctx context.Context, tenant, id string, c flow.Change) (View, error) {
	return e.update(ctx, tenant, id, func(f flow.Flow, s flow.Settings) (flow.Settings, error) { return s.Merge(f, c) })
}

// update changes tenant's settings of flow id with f under a row lock.
func (e *Engine) update(ctx context.Context, tenant, id string, f func(flow.Flow, flow.Settings) (flow.Settings, error)) (View, error) {
	base, ok := flow.Lookup(id)
	if !ok {
		return View{}, fmt.Errorf("flow %q: %w", id, flow.ErrUnknownFlow)
	}
	var v View
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO flow_settings (tenant_id, flow_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, tenant, id); err != nil {
			return err
		}
		var s flow.Settings
		var raw []byte
		if err := tx.QueryRow(ctx, `SELECT enabled, settings FROM flow_settings WHERE tenant_id = $1 AND flow_id = $2 FOR UPDATE`,
			tenant, id).Scan(&s.Enabled, &raw); err != nil {
			return err
		}
		enabled := s.Enabled
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		s.Enabled = enabled
		s, err := f(base, s)
		if err != nil {
			return err
		}
		if raw, err = json.Marshal(s); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE flow_settings SET enabled = $3, settings = $4, updated_at = now()
			WHERE tenant_id = $1 AND flow_id = $2`, tenant, id, s.Enabled, raw); err != nil {
			return err
		}
		v = View{Flow: e.override(base.Apply(s)), Enabled: s.Enabled, Settings: s}
		return nil
	})
	var fe *flow.FieldError
	if err != nil && !errors.As(err, &fe) {
		return View{}, fmt.Errorf("flow settings: %w", err)
	}
	return v, err
}
