package smscsim

import "testing"

// A simulator made again with the same FirstID hands out the same ids, as
// an SMSC restarted with its counter reset; without FirstID it never does.
func TestFirstID(t *testing.T) {
	t.Parallel()
	ids := func(cfg Config) []uint64 {
		t.Helper()
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return []uint64{s.newID(), s.newID()}
	}
	first, again := ids(Config{FirstID: 7}), ids(Config{FirstID: 7})
	if first[0] != 7 || first[1] != 8 || again[0] != 7 || again[1] != 8 {
		t.Fatalf("ids %v then %v, want 7 8 both times", first, again)
	}
	clock, later := ids(Config{}), ids(Config{})
	if later[0] <= clock[1] {
		t.Fatalf("ids %v then %v: a simulator made later repeats ids", clock, later)
	}
}
