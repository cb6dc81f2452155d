package pipeline

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		share  float64
		tenant string
		sender func(i int) string
		n      int
		want   time.Duration // at least
	}{
		// 26 senders at 10/s each would allow 260/s: the tenant's 100/s binds.
		{"tenant rate", 1, "shop", manySenders, 300, 2 * time.Second},
		{"half the partitions, half the rate", 0.5, "shop", manySenders, 300, 5 * time.Second},
		{"sender rate", 1, "shop", func(int) string { return "ONE" }, 60, 5 * time.Second},
		{"unlimited tenant", 1, "other", func(int) string { return "A" }, 1000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := NewLimits(map[string]TenantLimit{"shop": {Rate: 100, SenderRate: 10}})
				l.SetShare(tt.share)
				start := time.Now()
				for i := range tt.n {
					if err := l.Wait(context.Background(), tt.tenant, tt.sender(i)); err != nil {
						t.Fatal(err)
					}
				}
				got := time.Since(start)
				if got < tt.want || (tt.want == 0 && got != 0) || (tt.want > 0 && got > tt.want*3/2) {
					t.Fatalf("%d messages took %v, want about %v", tt.n, got, tt.want)
				}
			})
		})
	}
}

func manySenders(i int) string { return string(rune('A' + i%26)) }
