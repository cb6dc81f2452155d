package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// stack is the running system, stopped in reverse dependency order.
type stack struct {
	log  *slog.Logger
	stop []func(context.Context) // run last-added first
}

func (s *stack) onStop(name string, f func(context.Context) error) {
	s.stop = append(s.stop, func(ctx context.Context) {
		if err := f(ctx); err != nil {
			s.log.Warn("stop", "part", name, "err", err)
		}
	})
}

func (s *stack) shutdown() {
	for i := len(s.stop) - 1; i >= 0; i-- {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		s.stop[i](ctx)
		cancel()
	}
}

// goRun starts run in a goroutine with its own context; stopping cancels
// it and waits for run to return.
func (s *stack) goRun(name string, run func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := run(ctx); err != nil {
			s.log.Error("stopped", "part", name, "err", err)
		}
	}()
	s.onStop(name, func(stopCtx context.Context) error {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			return fmt.Errorf("%s did not stop in time", name)
		}
	})
}
