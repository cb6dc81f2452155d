package consent

import (
	"testing"

	"github.com/ternsms/tern/core/hygiene"
)

func TestHygieneBits(t *testing.T) {
	t.Parallel()
	for _, c := range hygiene.Classes {
		h := HygieneOf(c)
		if !c.Permanent() {
			if h != 0 {
				t.Errorf("%v: HygieneOf = %d, want 0 for a class that does not suppress", c, h)
			}
			continue
		}
		st := FromBits(State{Marketing: true, Hygiene: h}.Bits())
		if st.Hygiene.Class() != c || st.Hygiene.Reason() != c.Reason() || !st.Marketing {
			t.Errorf("%v: round trip gave %+v", c, st)
		}
	}
}
