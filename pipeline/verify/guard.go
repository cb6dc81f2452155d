package verify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/verify"
)

// countsSQL reads one prefix's counts for the pumping verdict: starts
// since $3 (the window), starts in ($4, $3] (the baseline before it),
// and starts and approvals in ($5, $6] (the conversion window, less the
// grace).
const countsSQL = `SELECT
	coalesce(sum(started) FILTER (WHERE bucket > $3), 0),
	coalesce(sum(started) FILTER (WHERE bucket <= $3 AND bucket > $4), 0),
	coalesce(sum(started) FILTER (WHERE bucket > $5 AND bucket <= $6), 0),
	coalesce(sum(approved) FILTER (WHERE bucket > $5 AND bucket <= $6), 0)
FROM verify_prefix_counts
WHERE tenant_id = $1 AND prefix = $2 AND bucket > least($4::timestamptz, $5::timestamptz)`

// judge returns the pumping verdict on st's prefix, this start counted
// in; on a verdict it blocks the prefix for the tenant in tx.
func (s *Service) judge(ctx context.Context, tx pgx.Tx, st start) (verify.Verdict, error) {
	g := st.policy.Pumping
	if g.Off {
		return verify.VerdictNone, nil
	}
	window := st.now.Add(-time.Duration(g.Window))
	var c verify.Counts
	err := tx.QueryRow(ctx, countsSQL, st.Tenant, st.prefix, window, window.Add(-time.Duration(g.Baseline)),
		st.now.Add(-time.Duration(g.ConversionWindow)), st.now.Add(-verify.ConversionGrace)).Scan(&c.Recent, &c.Before, &c.Started, &c.Approved)
	if err != nil {
		return "", fmt.Errorf("pumping guard: %w", err)
	}
	c.Recent++
	verdict := g.Judge(c)
	if verdict == verify.VerdictNone {
		return verdict, nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO verify_blocks (tenant_id, prefix, verdict, blocked_at, until) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, prefix) DO UPDATE SET verdict = excluded.verdict, blocked_at = excluded.blocked_at, until = excluded.until`,
		st.Tenant, st.prefix, string(verdict), st.now, st.now.Add(time.Duration(g.BlockFor)))
	if err != nil {
		return "", fmt.Errorf("pumping guard: %w", err)
	}
	return verdict, nil
}

// blocked tells the world a prefix was just blocked: a warning, a
// metric and a record.
func (s *Service) blocked(st start, verdict verify.Verdict) {
	s.log.Warn("verify prefix blocked (suspected SMS pumping)", "tenant", st.Tenant, "prefix", st.prefix, "verdict", string(verdict),
		"until", st.now.Add(time.Duration(st.policy.Pumping.BlockFor)))
	s.metrics.block(string(verdict))
	s.records.emit(refusedEvent(st, "prefix_blocked", string(verdict)))
}

// Block is a prefix blocked for a tenant.
type Block struct {
	Prefix  string
	Verdict verify.Verdict
	Since   time.Time
	Until   time.Time
}

// Blocks lists tenant's prefixes blocked at now.
func (s *Service) Blocks(ctx context.Context, tenant string) ([]Block, error) {
	rows, err := s.store.pool.Query(ctx, `SELECT prefix, verdict, blocked_at, until FROM verify_blocks
		WHERE tenant_id = $1 AND until > $2 ORDER BY prefix`, tenant, s.now())
	if err != nil {
		return nil, fmt.Errorf("blocks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Block, error) {
		var b Block
		var v string
		err := r.Scan(&b.Prefix, &v, &b.Since, &b.Until)
		b.Verdict = verify.Verdict(v)
		return b, err
	})
}

// Unblock lifts tenant's block of prefix; lifting none is harmless.
func (s *Service) Unblock(ctx context.Context, tenant, prefix string) error {
	if _, err := s.store.pool.Exec(ctx, `DELETE FROM verify_blocks WHERE tenant_id = $1 AND prefix = $2`, tenant, prefix); err != nil {
		return fmt.Errorf("unblock: %w", err)
	}
	return nil
}
