package localsvc

import (
	"net"
	"strconv"
	"testing"
)

// FreePort's answer is only a good guess: another process may take the
// port before the caller binds it, and the tests of other packages bind
// ports in the same range at the same time. So of several answers, each
// must be in range, and most must still be bindable.
func TestFreePort(t *testing.T) {
	t.Parallel()
	const tries = 10
	bindable := 0
	var last error
	for range tries {
		port, err := FreePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if low := ephemeralLow(); port < 10000 || port >= low {
			t.Fatalf("port %d outside [10000, %d)", port, low)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			last = err
			continue
		}
		l.Close()
		bindable++
	}
	if bindable < tries/2 {
		t.Fatalf("%d of %d ports bindable; last failure: %v", bindable, tries, last)
	}
}
