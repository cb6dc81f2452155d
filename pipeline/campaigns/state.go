package campaigns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/campaign"
)

// Act applies a to the tenant's campaign id and returns it after:
// Launch, Pause, Resume or Cancel (the runner's Start and Complete too).
// A move the campaign's state does not allow wraps
// campaign.ErrTransition.
func (s *Store) Act(ctx context.Context, tenant, id string, a campaign.Action) (Campaign, error) {
	if a == campaign.Launch {
		c, err := s.Get(ctx, tenant, id)
		if err != nil {
			return c, err
		}
		if _, err := s.d.Templates.Get(ctx, tenant, c.TemplateID, c.TemplateVersion); err != nil {
			return c, invalid("template_id", "the campaign's template was deleted")
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return s.act(ctx, tx, tenant, id, a)
	})
	if err != nil {
		return Campaign{}, err
	}
	return s.Get(ctx, tenant, id)
}

func (s *Store) act(ctx context.Context, tx pgx.Tx, tenant, id string, a campaign.Action) error {
	var state int16
	var sendAt *time.Time
	err := tx.QueryRow(ctx, `SELECT state, send_at FROM campaigns WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenant, id).Scan(&state, &sendAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("campaign %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("campaign state: %w", err)
	}
	from := campaign.State(state)
	due := sendAt == nil || !sendAt.After(s.now())
	to, err := campaign.Next(from, a, due)
	if err != nil || to == from {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE campaigns SET state = $3, updated_at = now(),
		launched_at = CASE WHEN $4 THEN now() ELSE launched_at END,
		completed_at = CASE WHEN $5 THEN now() ELSE completed_at END
		WHERE tenant_id = $1 AND id = $2`, tenant, id, int16(to), a == campaign.Launch, to == campaign.Completed)
	if err != nil {
		return fmt.Errorf("campaign state: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE campaign_states_version SET version = version + 1`); err != nil {
		return fmt.Errorf("campaign state: %w", err)
	}
	return nil
}
