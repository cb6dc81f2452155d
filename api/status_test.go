package api

import (
	"strings"
	"testing"

	"github.com/ternsms/tern/core"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// TestStatusesMatchProto keeps core's statuses equal to the tern.v1 enum:
// the front door casts one to the other.
func TestStatusesMatchProto(t *testing.T) {
	t.Parallel()
	for s := core.StatusUnspecified; s <= core.StatusCanceled; s++ {
		want := "status_" + s.String()
		if got := strings.ToLower(ternv1.Status(s).String()); got != want {
			t.Errorf("core %v is tern.v1 %s, want %s", s, got, want)
		}
	}
	if n := len(ternv1.Status_name); n != int(core.StatusCanceled)+1 {
		t.Errorf("tern.v1 has %d statuses, core %d", n, core.StatusCanceled+1)
	}
}
