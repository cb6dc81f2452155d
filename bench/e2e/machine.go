package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// machineLine describes the machine the way RESULTS.md needs it: `nproc`,
// the `lscpu` model name, the Go version, the kernel.
func machineLine() string {
	model := "unknown"
	if out, err := exec.Command("lscpu").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "Model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	nproc := strconv.Itoa(runtime.NumCPU())
	if out, err := exec.Command("nproc").Output(); err == nil {
		nproc = strings.TrimSpace(string(out))
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("`nproc` = %s, `lscpu` model name %q, %s/%s, %s, Linux %s",
		nproc, model, runtime.GOOS, runtime.GOARCH, runtime.Version(), strings.TrimSpace(string(kernel)))
}

// loadAvg returns the 1-minute load average, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// clkTck is USER_HZ, the unit of /proc CPU times; 100 on every Linux
// architecture Go supports.
const clkTck = 100

// cpuSnap is a snapshot of CPU time: the whole machine's busy time and
// each watched process's, both in clock ticks.
type cpuSnap struct {
	at    time.Time
	busy  int64 // all CPUs, not idle or iowait
	procs map[int]procTicks
}

type procTicks struct {
	name  string
	ticks int64
}

// root is a process to watch, with its descendants, under a label.
type root struct {
	pid   int
	label string
}

// snapCPU reads the machine's CPU time and that of each root and its
// descendants (PostgreSQL backends, ClickHouse, ...). A root counts under
// its label, a descendant under its command name; a descendant that is
// itself a root counts only as that root.
func snapCPU(roots ...root) cpuSnap {
	s := cpuSnap{at: time.Now(), procs: map[int]procTicks{}}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := bytes.Cut(b, []byte("\n"))
		f := strings.Fields(string(line))
		var total int64
		for i, v := range f[1:] {
			if i >= 7 { // steal is not ours; guest time is already in user
				break
			}
			if i == 3 || i == 4 { // idle, iowait
				continue
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			total += n
		}
		s.busy = total
	}
	children := map[int][]int{}
	all := map[int]procTicks{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		name, ppid, ticks, ok := readStat(pid)
		if !ok {
			continue
		}
		all[pid] = procTicks{label(pid, name), ticks}
		children[ppid] = append(children[ppid], pid)
	}
	isRoot := map[int]bool{}
	for _, r := range roots {
		isRoot[r.pid] = true
	}
	var walk func(int)
	walk = func(pid int) {
		for _, c := range children[pid] {
			if isRoot[c] {
				continue
			}
			if p, ok := all[c]; ok {
				s.procs[c] = p
			}
			walk(c)
		}
	}
	for _, r := range roots {
		if p, ok := all[r.pid]; ok {
			s.procs[r.pid] = procTicks{r.label, p.ticks}
		}
		walk(r.pid)
	}
	return s
}

// label names a process for the CPU table: PostgreSQL processes by role
// (their title says it), others by command name.
func label(pid int, name string) string {
	if name != "postgres" {
		return name
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	title := string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
	switch {
	case strings.Contains(title, "autovacuum"):
		return "postgres autovacuum"
	case strings.HasPrefix(title, "postgres: ") && strings.Contains(title, "("): // user db host(port) state
		return "postgres backends"
	case strings.HasPrefix(title, "postgres: "):
		return "postgres background (wal, checkpoint)"
	}
	return "postgres"
}

// readStat reads a process's name, parent and user+system ticks.
func readStat(pid int) (name string, ppid int, ticks int64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, 0, false
	}
	open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || close < open {
		return "", 0, 0, false
	}
	name = string(b[open+1 : close])
	f := strings.Fields(string(b[close+1:]))
	if len(f) < 13 {
		return "", 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return name, ppid, ut + st, true
}

// cpuUse is the CPU used between two snapshots, in cores.
type cpuUse struct {
	machine float64            // every process on the machine
	byName  map[string]float64 // watched processes, by command name
}

func (a cpuSnap) until(b cpuSnap) cpuUse {
	secs := b.at.Sub(a.at).Seconds()
	u := cpuUse{machine: float64(b.busy-a.busy) / clkTck / secs, byName: map[string]float64{}}
	for pid, p := range b.procs {
		d := p.ticks - a.procs[pid].ticks // a process born in between started at 0
		u.byName[p.name] += float64(d) / clkTck / secs
	}
	return u
}

// harnessLabel begins the label of the harness's own process, the load
// generator: every other watched process is the system under test.
const harnessLabel = "harness"

// system returns the cores the system under test used: every watched
// process but the harness's own. ok is false when only the harness was
// watched (a tern given with -addr runs elsewhere).
func (u cpuUse) system() (cores float64, ok bool) {
	for name, v := range u.byName {
		if !strings.HasPrefix(name, harnessLabel) {
			cores, ok = cores+v, true
		}
	}
	return cores, ok
}

// perMessage returns the system under test's CPU per message at rate
// messages a second, in microseconds; ok is false when it is unknown.
func (u cpuUse) perMessage(rate float64) (us float64, ok bool) {
	cores, ok := u.system()
	if !ok || rate <= 0 {
		return 0, false
	}
	return cores / rate * 1e6, true
}

// String prints "tern 1.21, postgres 0.30, ..., others 0.05 (machine 1.90 of 2)".
func (u cpuUse) String() string {
	type kv struct {
		k string
		v float64
	}
	var l []kv
	var ours float64
	for k, v := range u.byName {
		ours += v
		if v >= 0.005 {
			l = append(l, kv{k, v})
		}
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v })
	var b strings.Builder
	for _, e := range l {
		fmt.Fprintf(&b, "%s %.2f, ", e.k, e.v)
	}
	fmt.Fprintf(&b, "other processes %.2f (machine busy %.2f of %d cores)", max(u.machine-ours, 0), u.machine, runtime.NumCPU())
	return b.String()
}
