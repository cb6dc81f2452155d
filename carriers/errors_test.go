package carriers

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

type statusErr bool

func (s statusErr) Error() string   { return "status" }
func (s statusErr) Retriable() bool { return bool(s) }

func TestIsRetriable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
		{"unavailable", fmt.Errorf("dial: %w", ErrUnavailable), true},
		{"in doubt is not a plain retry", ErrInDoubt, false},
		{"backoff", &BackoffError{Err: errors.New("slow down"), Wait: time.Second}, true},
		{"retriable status", fmt.Errorf("submit: %w", statusErr(true)), true},
		{"permanent status", fmt.Errorf("submit: %w", statusErr(false)), false},
	}
	for _, tt := range tests {
		if got := IsRetriable(tt.err); got != tt.want {
			t.Errorf("%s: IsRetriable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
