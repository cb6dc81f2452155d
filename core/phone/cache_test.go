package phone

import (
	"strings"
	"testing"
)

// len returns how many entries the cache holds.
func (c *Cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.cur) + len(s.old)
		s.mu.Unlock()
	}
	return n
}

// The cache keeps valid numbers only: input that is too long, does not
// parse or is not a valid number is answered as Inspect answers it and
// never stored, so callers cannot fill it with what they send.
func TestCacheKeepsOnlyValidNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, region string
		valid, err        bool
		kept              bool
	}{
		{"valid E.164", "+14155552671", "", true, false, true},
		{"valid national", "(415) 555-2672", "US", true, false, true},
		{"valid, padded within the bound", " +14155552673 ", "", true, false, true},
		{"valid, padded past the bound", strings.Repeat(" ", 100) + "+14155552674", "", true, false, false},
		{"oversized", "+1" + strings.Repeat("4", 1<<20), "", false, true, false},
		{"oversized region", "+14155552675", strings.Repeat("U", 1<<20), true, false, false},
		{"not a number", "not a number", "", false, true, false},
		{"parses, not valid", "+19999999999", "", false, false, false},
		{"empty", "", "", false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache(1000)
			for range 2 { // the second answer comes from the cache, if kept
				n, err := c.Inspect(tt.raw, tt.region)
				if (err != nil) != tt.err || n.Valid != tt.valid {
					t.Fatalf("Inspect = %+v, %v; want valid %v, error %v", n, err, tt.valid, tt.err)
				}
				want, werr := Inspect(tt.raw, tt.region)
				if n.E164 != want.E164 || (werr == nil) != (err == nil) {
					t.Fatalf("cached Inspect = %+v, %v; Inspect = %+v, %v", n, err, want, werr)
				}
			}
			if kept := c.len() == 1; kept != tt.kept {
				t.Fatalf("%d entries after Inspect, want kept %v", c.len(), tt.kept)
			}
		})
	}
}
