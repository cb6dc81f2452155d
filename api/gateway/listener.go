package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/pipeline"
)

// listen wakes the accounts bound here when another instance (or this
// one) queued something for them, until ctx ends. Polling covers the
// gaps while it reconnects.
func (s *Server) listen(ctx context.Context) {
	for attempt := 1; ; attempt++ {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("smpp gateway notifications", "attempt", attempt, "err", err)
		t := time.NewTimer(pipeline.DefaultBackoff.Delay(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *Server) listenOnce(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.store.url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.wakeAll() // whatever was queued while nobody listened
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		s.wakeAccount(n.Payload)
	}
}
