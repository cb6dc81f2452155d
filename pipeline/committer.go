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
	gen   *kafka.Generation
	topic string
	log   *slog.Logger

	actors sync.WaitGroup

	mu      sync.Mutex
	pending map[int]int64 // partition -> offset to commit
}

func newCommitter(gen *kafka.Generation, topic string, log *slog.Logger) *committer {
	return &committer{gen: gen, topic: topic, log: log, pending: map[int]int64{}}
}

// mark records that partition's messages before offset are finished.
func (c *committer) mark(partition int, offset int64) {
	c.mu.Lock()
	if offset > c.pending[partition] {
		c.pending[partition] = offset
	}
	c.mu.Unlock()
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
	c.pending = map[int]int64{}
	c.mu.Unlock()
	if err := c.gen.CommitOffsets(map[string]map[int]int64{c.topic: offsets}); err != nil {
		c.log.Warn("commit offsets", "generation", c.gen.ID, "partitions", len(offsets), "err", err)
		// Keep them for the next try unless newer marks replaced them.
		c.mu.Lock()
		for p, o := range offsets {
			if o > c.pending[p] {
				c.pending[p] = o
			}
		}
		c.mu.Unlock()
	}
}
