package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ternsms/tern/pipeline"
)

// recordBacklog bounds the batches of receipt records waiting for a
// retry; when it is full the intake waits for the database, and new
// submits are throttled meanwhile.
const recordBacklog = 1024

// recordSubmits writes the receipt halves of accepted messages. A batch
// whose write fails goes to the record writer, which retries it until the
// database takes it: the messages are queued already, and without their
// records their receipts could not go back. The submits are answered
// meanwhile; only a stop of the gateway (Close giving up, or the process
// dying) can leave records unwritten.
func (s *Server) recordSubmits(ctx context.Context, recs []submitRecord) {
	if len(recs) == 0 {
		return
	}
	accounts, err := s.store.recordSubmits(ctx, recs)
	if err == nil {
		s.queued(kindReceipt, accounts)
		return
	}
	s.log.Warn("smpp receipt records: retrying", "messages", len(recs), "err", err)
	s.metrics.pending.Add(float64(len(recs)))
	select {
	case s.records <- recs:
	case <-s.ctx.Done():
		s.recordsLost(len(recs), err)
	}
}

// recordWriter retries the batches handed to it, one at a time, each
// until it is written, until records is closed and drained or ctx ends.
func (s *Server) recordWriter(ctx context.Context) {
	defer close(s.recordsDone)
	for {
		select {
		case recs, ok := <-s.records:
			if !ok {
				return
			}
			s.retryRecords(ctx, recs)
		case <-ctx.Done():
			for {
				select {
				case recs, ok := <-s.records:
					if !ok {
						return
					}
					s.recordsLost(len(recs), ctx.Err())
				default:
					return
				}
			}
		}
	}
}

// retryRecords writes recs, waiting longer after each failure, until it
// succeeds or ctx ends. A batch the database refuses for its data is
// written record by record, and a record refused so is dropped, counted
// and logged: it would never be written, and must not hold up the others.
func (s *Server) retryRecords(ctx context.Context, recs []submitRecord) {
	for attempt := 1; ; attempt++ {
		t := time.NewTimer(pipeline.DefaultBackoff.Delay(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			s.recordsLost(len(recs), ctx.Err())
			return
		case <-t.C:
		}
		accounts, err := s.store.recordSubmits(ctx, recs)
		switch {
		case err == nil:
			s.metrics.pending.Sub(float64(len(recs)))
			s.queued(kindReceipt, accounts)
			s.log.Info("smpp receipt records written", "messages", len(recs), "attempts", attempt+1)
			return
		case badData(err) && len(recs) > 1:
			for _, r := range recs {
				s.writeAlone(ctx, r)
			}
			return
		case badData(err):
			s.recordsLost(1, err)
			return
		case ctx.Err() == nil:
			s.log.Warn("smpp receipt records", "messages", len(recs), "attempt", attempt+1, "err", err)
		}
	}
}

// writeAlone writes one record of a batch the database refused for its
// data: at once, then as retryRecords does unless its own data was bad.
func (s *Server) writeAlone(ctx context.Context, r submitRecord) {
	accounts, err := s.store.recordSubmits(ctx, []submitRecord{r})
	switch {
	case err == nil:
		s.metrics.pending.Dec()
		s.queued(kindReceipt, accounts)
	case badData(err):
		s.recordsLost(1, err)
	default:
		s.retryRecords(ctx, []submitRecord{r})
	}
}

// badData reports a database error about the data written (SQLSTATE
// class 22: invalid text, values out of range), which no retry cures.
func badData(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22")
}

// recordsLost counts records the gateway stopped before writing.
func (s *Server) recordsLost(n int, err error) {
	s.metrics.pending.Sub(float64(n))
	s.metrics.lost.Add(float64(n))
	s.log.Error("smpp receipt records not written: these messages will get no receipt", "messages", n, "err", err)
}

// stopRecords lets the record writer finish what it holds, until ctx
// ends; intakeDone says the intake workers, the writer's only feeders,
// have stopped.
func (s *Server) stopRecords(ctx context.Context, intakeDone bool) error {
	if intakeDone {
		close(s.records)
	} else {
		s.recordsStop()
	}
	select {
	case <-s.recordsDone:
		s.recordsStop()
		return nil
	case <-ctx.Done():
		s.recordsStop()
		<-s.recordsDone
		return fmt.Errorf("smpp gateway: receipt records still unwritten: %w", ctx.Err())
	}
}
