package localsvc

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// FreePort returns a TCP port on host that is free now, for a server about
// to be started. It picks below the kernel's ephemeral range: a port from
// that range (what listening on port 0 hands out) can be taken as the source
// port of any outgoing connection before the server binds it.
func FreePort(host string) (int, error) {
	low := ephemeralLow()
	const base = 10000
	for range 100 {
		port := base + rand.IntN(max(low-base, 1))
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err == nil {
			return port, l.Close()
		}
	}
	return 0, fmt.Errorf("%w: no free port on %s between %d and %d", ErrPortInUse, host, base, low)
}

// ephemeralLow is the start of the kernel's ephemeral port range, 32768
// (Linux's default) where it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 10000 || n > 65535 {
		return 32768
	}
	return n
}
