package pipeline

import (
	"context"
	"errors"
)

// batcher turns many concurrent single calls into few batched ones: each
// worker takes whatever calls are waiting (up to max) and runs them as one
// batch. Under load batches grow; alone, a call runs at once.
type batcher[Req, Resp any] struct {
	calls chan batchCall[Req, Resp]
	max   int
	exec  func(ctx context.Context, reqs []Req) ([]Resp, error)
}

type batchCall[Req, Resp any] struct {
	req   Req
	reply chan batchReply[Resp]
}

type batchReply[Resp any] struct {
	resp Resp
	err  error
}

var errBatcherStopped = errors.New("batcher stopped")

func newBatcher[Req, Resp any](max int, exec func(context.Context, []Req) ([]Resp, error)) *batcher[Req, Resp] {
	return &batcher[Req, Resp]{calls: make(chan batchCall[Req, Resp], max), max: max, exec: exec}
}

// do runs req in some batch and returns its result.
func (b *batcher[Req, Resp]) do(ctx context.Context, req Req) (Resp, error) {
	wait, err := b.enqueue(ctx, req)
	if err != nil {
		var zero Resp
		return zero, err
	}
	return wait(ctx)
}

// enqueue queues req and returns how to wait for its result. Requests run
// in the order they were queued: one queued after enqueue returned runs
// in the same batch or a later one.
func (b *batcher[Req, Resp]) enqueue(ctx context.Context, req Req) (wait func(context.Context) (Resp, error), err error) {
	c := batchCall[Req, Resp]{req: req, reply: make(chan batchReply[Resp], 1)}
	select {
	case b.calls <- c:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return func(ctx context.Context) (Resp, error) {
		select {
		case r := <-c.reply:
			return r.resp, r.err
		case <-ctx.Done():
			// The batch may still run; its result is dropped.
			var zero Resp
			return zero, ctx.Err()
		}
	}, nil
}

// run serves calls until ctx ends.
func (b *batcher[Req, Resp]) run(ctx context.Context) {
	calls := make([]batchCall[Req, Resp], 0, b.max)
	reqs := make([]Req, 0, b.max)
	for {
		calls, reqs = calls[:0], reqs[:0]
		select {
		case c := <-b.calls:
			calls = append(calls, c)
		case <-ctx.Done():
			b.drain()
			return
		}
	fill:
		for len(calls) < b.max {
			select {
			case c := <-b.calls:
				calls = append(calls, c)
			default:
				break fill
			}
		}
		for _, c := range calls {
			reqs = append(reqs, c.req)
		}
		resps, err := b.exec(ctx, reqs)
		for i, c := range calls {
			r := batchReply[Resp]{err: err}
			if err == nil {
				r.resp = resps[i]
			}
			c.reply <- r
		}
	}
}

// drain fails the calls still queued when the batcher stops.
func (b *batcher[Req, Resp]) drain() {
	for {
		select {
		case c := <-b.calls:
			c.reply <- batchReply[Resp]{err: errBatcherStopped}
		default:
			return
		}
	}
}
