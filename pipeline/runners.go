package pipeline

import "sync"

// runners runs functions on long-lived goroutines.
//
// An actor delivers each message on a goroutine of its own. A fresh
// goroutine starts with the runtime's small stack, and a delivery grows it
// on its way through the ledger batcher, the carrier and the event write,
// copying every frame each time. A runner keeps its grown stack from one
// delivery to the next (see bench/history/end-to-end.md, "Deliveries run
// on long-lived runner goroutines").
//
// Go hands a function to an idle runner or starts a new one, so there are
// never more runners than deliveries at the busiest moment so far, itself
// bounded by the actors' windows.
type runners struct {
	jobs chan func() // unbuffered: a send succeeds only to an idle runner
	quit chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func newRunners() *runners {
	return &runners{jobs: make(chan func()), quit: make(chan struct{})}
}

// Go runs fn on an idle runner, or on a new one when none is idle.
func (r *runners) Go(fn func()) {
	select {
	case r.jobs <- fn:
	default:
		r.wg.Add(1)
		go r.run(fn)
	}
}

func (r *runners) run(fn func()) {
	defer r.wg.Done()
	for {
		fn()
		select {
		case fn = <-r.jobs:
		case <-r.quit:
			return
		}
	}
}

// close stops the idle runners and waits for the busy ones to finish and
// stop. A function handed over after close still runs, on a runner that
// stops after it.
func (r *runners) close() {
	r.once.Do(func() { close(r.quit) })
	r.wg.Wait()
}
