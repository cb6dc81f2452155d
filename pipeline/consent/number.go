package consent

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// NumberByKey returns the tenant and number whose state row has key (a
// Suppression record's key), for readers of the suppressions topic that
// must name the number. The number is "" once erased or when tern has
// no row for the key.
func (l *Ledger) NumberByKey(ctx context.Context, key []byte) (tenant, number string, err error) {
	var n *string
	err = l.pool.QueryRow(ctx, `SELECT tenant_id, number FROM consent_state WHERE key = $1`, key).Scan(&tenant, &n)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("consent state: %w", err)
	}
	if n != nil {
		number = *n
	}
	return tenant, number, nil
}
