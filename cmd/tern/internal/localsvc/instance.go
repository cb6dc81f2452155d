package localsvc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// InstanceFile is the file in a server's directory that records the server
// running from it, one line of four numbers:
//
//	PID START SIGNAL OWNER
//
// PID is the server's process id; START its start time in clock ticks after
// boot (/proc/PID/stat, field 22), which with PID names one process;
// SIGNAL the signal that stops it; OWNER the process id of the tern that
// started it. That tern holds an exclusive flock on the file while the
// server runs and empties it once the server ended, so whoever gets the
// lock knows that a server the file still names, if it runs, was left by a
// tern that is gone. When the file names none, the pid file the server
// writes itself (serverPidFiles) may name one that a tern from before
// this file left.
const InstanceFile = "server.pid"

// Waits for a server left running to stop: first after its own stop
// signal, then after SIGKILL.
const (
	staleStopTimeout = 30 * time.Second
	staleKillTimeout = 10 * time.Second
	stalePoll        = 100 * time.Millisecond
)

// record is the content of an instance file.
type record struct {
	pid, owner int
	start      uint64
	sig        syscall.Signal
}

// claim is a held instance file. release is idempotent.
type claim struct {
	f    *os.File
	once sync.Once
}

// claimDir takes the instance file of dir, which must exist. A server the
// file names that still runs from dir is stopped first: its tern is gone.
// While a live process holds the file, claimDir fails with ErrInUse.
func claimDir(ctx context.Context, dir string, log *slog.Logger) (*claim, error) {
	f, err := os.OpenFile(filepath.Join(dir, InstanceFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("instance file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		rec, _ := readRecord(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is used by a running tern (pid %d)", ErrInUse, dir, rec.owner)
		}
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	c := &claim{f: f}
	rec, ok := readRecord(f)
	for _, pf := range serverPidFiles {
		if ok {
			break
		}
		rec, ok = pf.read(dir)
	}
	if ok {
		if err := stopStale(ctx, dir, rec, log); err != nil {
			c.release()
			return nil, err
		}
	}
	return c, nil
}

// pidFile is a file a server writes with its own pid. It finds a server
// that a tern from before InstanceFile left running.
type pidFile struct {
	path   string // below the server's directory
	prefix string // before the pid on the file's first line
	sig    syscall.Signal
}

// serverPidFiles are ClickHouse's status file and PostgreSQL's
// postmaster.pid, with the signal that stops each.
var serverPidFiles = []pidFile{
	{path: filepath.Join("data", "status"), prefix: "PID: ", sig: syscall.SIGTERM},
	{path: filepath.Join("pgdata", "postmaster.pid"), sig: syscall.SIGINT},
}

// read returns the record of the process the file names, as it runs now:
// only its command line, which must name the directory, ties it to the
// server.
func (pf pidFile) read(dir string) (record, bool) {
	b, err := os.ReadFile(filepath.Join(dir, pf.path))
	if err != nil {
		return record{}, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, pf.prefix)))
	if err != nil || pid <= 0 {
		return record{}, false
	}
	_, start, _, err := procStat(pid)
	if err != nil {
		return record{}, false
	}
	return record{pid: pid, start: start, sig: pf.sig}, true
}

// StopStale stops a server that a tern, now gone, left running from dir,
// as recorded in dir's InstanceFile. It fails with ErrInUse while a live
// tern runs a server there, and does nothing when dir records none.
func StopStale(ctx context.Context, dir string, log *slog.Logger) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, InstanceFile)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	c, err := claimDir(ctx, dir, log)
	if err != nil {
		return err
	}
	c.release()
	return nil
}

// record writes the server just started into the instance file.
func (c *claim) record(pid int, sig syscall.Signal) error {
	_, start, _, err := procStat(pid)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("%d %d %d %d\n", pid, start, int(sig), os.Getpid())
	if err := c.f.Truncate(0); err != nil {
		return err
	}
	_, err = c.f.WriteAt([]byte(line), 0)
	return err
}

// release empties the instance file and lets go of it: its server ended.
func (c *claim) release() {
	c.once.Do(func() {
		c.f.Truncate(0)
		c.f.Close()
	})
}

func readRecord(f *os.File) (record, bool) {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 256))
	if err != nil {
		return record{}, false
	}
	var r record
	var sig int
	if _, err := fmt.Sscanf(string(b), "%d %d %d %d", &r.pid, &r.start, &sig, &r.owner); err != nil || r.pid <= 0 {
		return record{}, false
	}
	r.sig = syscall.Signal(sig)
	return r, true
}

// runsFrom reports whether the process r names still runs, and runs from
// dir: its pid has the recorded start time and its command line names dir.
// A pid reused by another process fails both tests.
func (r record) runsFrom(dir string) bool {
	_, start, state, err := procStat(r.pid)
	if err != nil || start != r.start || state == 'Z' {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(r.pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
	return strings.Contains(args, dir+string(filepath.Separator))
}

// stopStale stops the server r names when it still runs from dir: with
// its own stop signal, then SIGKILL.
func stopStale(ctx context.Context, dir string, r record, log *slog.Logger) error {
	if !r.runsFrom(dir) {
		return nil
	}
	log.Warn("stopping a server left running by a tern that is gone", "dir", dir, "pid", r.pid, "owner", r.owner)
	for _, step := range []struct {
		sig  syscall.Signal
		wait time.Duration
	}{{r.sig, staleStopTimeout}, {syscall.SIGKILL, staleKillTimeout}} {
		r.signal(step.sig)
		if err := waitGone(ctx, dir, r, step.wait); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %s: server pid %d, left by a tern that is gone, does not stop", ErrInUse, dir, r.pid)
}

// signal sends sig to the server's process group when it leads one (as
// servers started here do), else to the server alone.
func (r record) signal(sig syscall.Signal) {
	target := r.pid
	if pgid, _, _, err := procStat(r.pid); err == nil && pgid == r.pid {
		target = -r.pid
	}
	syscall.Kill(target, sig)
}

// waitGone polls until r no longer runs from dir, for at most d.
func waitGone(ctx context.Context, dir string, r record, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	tick := time.NewTicker(stalePoll)
	defer tick.Stop()
	for r.runsFrom(dir) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("pid %d still runs after %s", r.pid, d)
		case <-tick.C:
		}
	}
	return nil
}

// procStat reads a process's group, start time and state from
// /proc/PID/stat.
func procStat(pid int) (pgid int, start uint64, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, 0, err
	}
	// The command name, in parentheses, may hold spaces and parentheses:
	// the fields that follow start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 20 {
		return 0, 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	// f[0] is field 3 (state), f[2] field 5 (pgrp), f[19] field 22 (starttime).
	if pgid, err = strconv.Atoi(f[2]); err != nil {
		return 0, 0, 0, fmt.Errorf("/proc/%d/stat: pgrp: %w", pid, err)
	}
	if start, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return 0, 0, 0, fmt.Errorf("/proc/%d/stat: starttime: %w", pid, err)
	}
	return pgid, start, f[0][0], nil
}
