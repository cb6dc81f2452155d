package verify

import (
	"context"
	"time"
)

// PruneEvery is how often Run prunes.
const PruneEvery = 10 * time.Minute

// Run prunes the store every PruneEvery until ctx ends (Store.Prune
// says what goes). Every instance may run it.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(PruneEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.store.Prune(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Warn("prune verifications", "err", err)
		}
	}
}
