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
	exec  batchFunc[Req, Resp]
	// stopped is closed once run has returned and answered every call it
	// took: a caller still waiting then gets errBatcherStopped.
	stopped chan struct{}
}

// batchFunc runs reqs as one batch and fills out, one reply per request
// at the same index. Items may fail on their own.
type batchFunc[Req, Resp any] func(ctx context.Context, reqs []Req, out []batchReply[Resp])

type batchCall[Req, Resp any] struct {
	req   Req
	reply chan batchReply[Resp]
}

type batchReply[Resp any] struct {
	resp Resp
	err  error
}

var errBatcherStopped = errors.New("batcher stopped")

func newBatcher[Req, Resp any](max int, exec batchFunc[Req, Resp]) *batcher[Req, Resp] {
	return &batcher[Req, Resp]{calls: make(chan batchCall[Req, Resp], max), max: max, exec: exec, stopped: make(chan struct{})}
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
	case <-b.stopped:
		return nil, errBatcherStopped
	}
	return func(ctx context.Context) (Resp, error) {
		var zero Resp
		select {
		case r := <-c.reply:
			return r.resp, r.err
		case <-ctx.Done():
			// The batch may still run; its result is dropped.
			return zero, ctx.Err()
		case <-b.stopped:
			select {
			case r := <-c.reply:
				return r.resp, r.err
			default:
				return zero, errBatcherStopped
			}
		}
	}, nil
}

// run serves calls until ctx ends. A batcher runs once.
func (b *batcher[Req, Resp]) run(ctx context.Context) {
	defer close(b.stopped)
	calls := make([]batchCall[Req, Resp], 0, b.max)
	reqs := make([]Req, 0, b.max)
	out := make([]batchReply[Resp], b.max)
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
		replies := out[:len(calls)]
		clear(replies)
		b.exec(ctx, reqs, replies)
		for i, c := range calls {
			c.reply <- replies[i]
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

// splitting adapts f, which writes a batch whole or not at all, to a
// batcher: when a batch of several fails because PostgreSQL refused a
// value in it (dataError), its halves are written again, the first one
// first, and theirs in turn, so that one item never fails the others and
// requests still commit in queue order. A request refused alone gets an
// error wrapping ErrUnstorable; every other error is its (part of the)
// batch's. A batch that succeeds costs nothing more, and one bad item in
// n costs about 2·log2(n) more round trips.
func splitting[Req, Resp any](f func(context.Context, []Req) ([]Resp, error)) batchFunc[Req, Resp] {
	var run batchFunc[Req, Resp]
	run = func(ctx context.Context, reqs []Req, out []batchReply[Resp]) {
		resps, err := f(ctx, reqs)
		if err != nil && len(reqs) > 1 && dataError(err) {
			half := len(reqs) / 2
			run(ctx, reqs[:half], out[:half])
			run(ctx, reqs[half:], out[half:])
			return
		}
		fillReplies(out, resps, err)
	}
	return run
}

// fillReplies gives each reply its response, or err.
func fillReplies[Resp any](out []batchReply[Resp], resps []Resp, err error) {
	if err != nil {
		err = unstorable(err)
		for i := range out {
			out[i] = batchReply[Resp]{err: err}
		}
		return
	}
	for i := range out {
		out[i] = batchReply[Resp]{resp: resps[i]}
	}
}
