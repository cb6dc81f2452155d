package pipeline

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestSplitting: a batch one item's value fails is written again in
// halves until only that item fails, for good; the items commit in queue
// order. A failure that is not an item's own fails the batch as it is.
func TestSplitting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        []string
		failWith  error // when the batch holds "bad"
		wantErrAt []int
		unstored  bool // those errors wrap ErrUnstorable
	}{
		{"all good", []string{"a", "b", "c"}, nil, nil, false},
		{"one bad in the middle", []string{"a", "b", "bad", "c", "d", "e", "f"}, &pgconn.PgError{Code: "22021"}, []int{2}, true},
		{"two bad", []string{"bad", "a", "b", "c", "bad"}, &pgconn.PgError{Code: "22P05"}, []int{0, 4}, true},
		{"alone", []string{"bad"}, &pgconn.PgError{Code: "23502"}, []int{0}, true},
		{"server shutting down", []string{"a", "bad", "b"}, &pgconn.PgError{Code: "57P01"}, []int{0, 1, 2}, false},
		{"connection lost", []string{"a", "bad"}, errors.New("conn closed"), []int{0, 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var committed []string
			f := func(_ context.Context, reqs []string) ([]string, error) {
				if tt.failWith != nil && slices.Contains(reqs, "bad") {
					return nil, tt.failWith
				}
				committed = append(committed, reqs...)
				return reqs, nil
			}
			out := make([]batchReply[string], len(tt.in))
			splitting(f)(context.Background(), tt.in, out)
			var good []string
			for i, r := range out {
				failed := slices.Contains(tt.wantErrAt, i)
				switch {
				case failed && (r.err == nil || errors.Is(r.err, ErrUnstorable) != tt.unstored):
					t.Fatalf("item %d: %v, want an error (unstorable: %v)", i, r.err, tt.unstored)
				case !failed && (r.err != nil || r.resp != tt.in[i]):
					t.Fatalf("item %d: %+v, want it written", i, r)
				case !failed:
					good = append(good, tt.in[i])
				}
			}
			if !slices.Equal(committed, good) {
				t.Fatalf("committed %v, want %v in queue order", committed, good)
			}
		})
	}
}
