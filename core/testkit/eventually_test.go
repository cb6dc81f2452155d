package testkit_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ternsms/tern/core/testkit"
)

// fatalRecorder is a testing.TB whose Fatalf records its message instead
// of ending the test.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
}

func TestEventually(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		okAt      int // the call that returns nil; 0: none does
		timeout   time.Duration
		wantCalls int
		wantFatal string
	}{
		{"holds at once", 1, time.Second, 1, ""},
		{"holds on the fourth check", 4, time.Second, 4, ""},
		// Checks at 0, 5, 15, 35, 75, 155 ms, then every 100 ms up to
		// 955, and one last time at the deadline.
		{"never holds", 0, time.Second, 15, "condition not met within 1s: not yet (check 15)"},
		{"no time at all", 0, 0, 1, "condition not met within 0s: not yet (check 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				rec := &fatalRecorder{TB: t}
				start := time.Now()
				var calls int
				var last time.Duration
				testkit.Eventually(rec, tt.timeout, func() error {
					calls++
					last = time.Since(start)
					if calls == tt.okAt {
						return nil
					}
					return fmt.Errorf("not yet (check %d)", calls)
				})
				if calls != tt.wantCalls {
					t.Errorf("%d checks, want %d", calls, tt.wantCalls)
				}
				if rec.fatal != tt.wantFatal {
					t.Errorf("fatal %q, want %q", rec.fatal, tt.wantFatal)
				}
				if tt.okAt == 0 && last != tt.timeout {
					t.Errorf("last check at %v, want at the deadline %v", last, tt.timeout)
				}
			})
		})
	}
}

// A condition that holds only after a while is seen at most MaxPoll late.
func TestEventuallyPauseBound(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		const ready = 3 * time.Second
		testkit.Eventually(t, time.Minute, func() error {
			if time.Since(start) < ready {
				return errors.New("not ready")
			}
			return nil
		})
		if late := time.Since(start) - ready; late > testkit.MaxPoll {
			t.Errorf("seen %v after it held, want at most %v", late, testkit.MaxPoll)
		}
	})
}

func TestLogger(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	rec := &outputRecorder{TB: t, out: &out}
	log := testkit.Logger(rec, slog.LevelInfo)
	log.Debug("hidden")
	log.Info("shown", "n", 1)
	if got := out.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "msg=shown n=1") {
		t.Errorf("output %q: want the info record only", got)
	}
}

type outputRecorder struct {
	testing.TB
	out *strings.Builder
}

func (r *outputRecorder) Output() io.Writer { return r.out }
