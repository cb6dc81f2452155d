package router

import (
	"context"
	"sync"

	"github.com/ternsms/tern/carriers"
)

// fakeCarrier is a carrier whose answers the test scripts: each Submit
// calls answer, or succeeds when it is nil. The state machine tests use
// it; the failover tests use real SMPP peers.
type fakeCarrier struct {
	name string

	mu     sync.Mutex
	answer func(ctx context.Context) error
	calls  int
}

func (f *fakeCarrier) Name() string { return f.name }

func (f *fakeCarrier) Submit(ctx context.Context, _ *carriers.Submission) (carriers.Accepted, error) {
	f.mu.Lock()
	f.calls++
	answer := f.answer
	f.mu.Unlock()
	if answer == nil {
		return carriers.Accepted{IDs: []string{"1"}}, nil
	}
	return carriers.Accepted{}, answer(ctx)
}

func (f *fakeCarrier) set(answer func(ctx context.Context) error) {
	f.mu.Lock()
	f.answer = answer
	f.mu.Unlock()
}

func (f *fakeCarrier) submits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// fakes builds fake carriers for New and keeps them by name.
type fakes map[string]*fakeCarrier

func (fs fakes) dial(c CarrierConfig) (carriers.Carrier, error) {
	f := &fakeCarrier{name: c.Name}
	fs[c.Name] = f
	return f, nil
}
