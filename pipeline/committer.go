package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// committer commits the offsets of one generation's actors together, in
// one request per interval, so actors never wait on each other's commits.
// Actors report their finished prefix with mark; the committer's own
// goroutine commits, and after every actor stopped, commits a last time
// before the generation ends.
type committer struct {
	gen *kafka.Generation
	log *slog.Logger

	actors sync.WaitGroup

	mu      sync.Mutex
	pending map[string]map[int]int64 // topic -> partition -> offset to commit
}

func newCommitter(gen *kafka.Generation, log *slog.Logger) *committer {
	return &committer{gen: gen, log: log, pending: map[string]map[int]int64{}}
}

// mark records that the messages before offset in topic's partition are
// finished.
func (c *committer) mark(topic string, partition int, offset int64) {
	c.mu.Lock()
	c.raise(topic, partition, offset)
	c.mu.Unlock()
}

// raise moves a pending offset forward; c.mu is held.
func (c *committer) raise(topic string, partition int, offset int64) {
	p := c.pending[topic]
	if p == nil {
		p = map[int]int64{}
		c.pending[topic] = p
	}
	if offset > p[partition] {
		p[partition] = offset
	}
}

// run commits every commitEvery until ctx ends, then waits for the actors
// and commits what they finished last.
func (c *committer) run(ctx context.Context) {
	t := time.NewTicker(commitEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.flush()
		case <-ctx.Done():
			c.actors.Wait()
			c.flush()
			return
		}
	}
}

func (c *committer) flush() {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	offsets := c.pending
	c.pending = map[string]map[int]int64{}
	c.mu.Unlock()
	if err := c.gen.CommitOffsets(offsets); err != nil {
		c.log.Warn("commit offsets", "generation", c.gen.ID, "topics", len(offsets), "err", err)
		// Keep them for the next try unless newer marks replaced them.
		c.mu.Lock()
		for t, ps := range offsets {
			for p, o := range ps {
				c.raise(t, p, o)
			}
		}
		c.mu.Unlock()
	}
}
