package localsvc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Process is a local server running as a child process in its own process
// group. It is safe for concurrent use.
type Process struct {
	name     string
	addr     string
	httpAddr string
	logs     []string // files whose tail explains a failure
	url      string
	stopSig  syscall.Signal
	cmd      *exec.Cmd
	log      *slog.Logger

	done    chan struct{} // closed when the process has been reaped
	waitErr error         // set before done is closed

	mu       sync.Mutex
	stopping bool // Stop sent SIGTERM; an exit after it is expected
}

// Addr is the server's main endpoint as host:port (for ClickHouse, the
// native protocol).
func (p *Process) Addr() string { return p.addr }

// HTTPAddr is the server's HTTP endpoint as host:port, or "" when the
// server has none.
func (p *Process) HTTPAddr() string { return p.httpAddr }

// URL is the server's connection URL, or "" when it has none (PostgreSQL
// has one).
func (p *Process) URL() string { return p.url }

// Pid is the operating system's id of the server process.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the server process has ended, whether Stop ended it or
// not. Err reports why.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is nil while the server runs and after a clean Stop; otherwise it
// describes how the process ended, with the tail of its logs.
func (p *Process) Err() error {
	select {
	case <-p.done:
	default:
		return nil
	}
	p.mu.Lock()
	stopping := p.stopping
	p.mu.Unlock()
	if stopping && exitedCleanly(p.waitErr) {
		return nil
	}
	return p.exitError()
}

// Stop sends SIGTERM (or the server's own stop signal) to its process group and waits for it to end.
// When ctx ends first the group gets SIGKILL and Stop returns ctx's error.
// Stop is idempotent: later calls wait for the same end and report it again.
func (p *Process) Stop(ctx context.Context) error {
	select {
	case <-p.done:
		return p.Err()
	default:
	}
	p.mu.Lock()
	first := !p.stopping
	p.stopping = true
	p.mu.Unlock()
	if first {
		p.log.Info("stopping", "pid", p.Pid())
		p.signal(p.stopSig)
	}
	select {
	case <-p.done:
		return p.Err()
	case <-ctx.Done():
	}
	p.log.Warn("stop deadline passed, killing", "pid", p.Pid())
	p.signal(syscall.SIGKILL)
	<-p.done
	return fmt.Errorf("stop %s: killed after %w", p.name, ctx.Err())
}

// signal sends sig to the whole process group, so helpers the server forked
// end with it.
func (p *Process) signal(sig syscall.Signal) {
	select {
	case <-p.done:
		return // reaped: the pid may already belong to someone else
	default:
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.log.Warn("signal", "signal", sig.String(), "err", err)
	}
}

func (p *Process) exitError() error {
	err := p.waitErr
	if err == nil {
		err = errors.New("exit status 0")
	}
	return fmt.Errorf("%s (pid %d): %w: %v%s", p.name, p.Pid(), ErrExited, err, tailOf(p.logs))
}

// exitedCleanly reports whether a process stopped by SIGTERM ended as
// expected: exit status 0 or death by that signal.
func exitedCleanly(err error) bool {
	if err == nil {
		return true
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && (ws.Signal() == syscall.SIGTERM || ws.Signal() == syscall.SIGINT)
}

// processSpec describes a server to start.
type processSpec struct {
	name     string
	path     string
	args     []string
	dir      string   // working directory; stdout.log and stderr.log go under dir/log
	logs     []string // files to tail on failure, besides stderr.log
	addr     string
	httpAddr string
	url      string
	// stopSig asks the server to stop; default SIGTERM.
	stopSig syscall.Signal
	// credential, when set, runs the server as another user (PostgreSQL
	// refuses to run as root).
	credential *syscall.Credential
	// claim is the directory's instance file, taken by the caller. Once
	// the server started it records it; once the server was reaped it is
	// released. startProcess releases it on failure too.
	claim   *claim
	timeout time.Duration
	// ready returns nil once the server answers. It is called repeatedly
	// until it succeeds, the process exits, or timeout passes.
	ready func(ctx context.Context) error
}

// readyPoll is how often a starting server is asked whether it answers.
const readyPoll = 100 * time.Millisecond

// startProcess starts spec in its own process group and waits until it is
// ready. On any failure the process is killed and reaped before returning.
func startProcess(ctx context.Context, spec processSpec, log *slog.Logger) (*Process, error) {
	p, err := spawnProcess(spec, log)
	if err != nil {
		if spec.claim != nil {
			spec.claim.release()
		}
		return nil, fmt.Errorf("start %s: %w", spec.name, err)
	}
	if err := p.waitReady(ctx, spec); err != nil {
		p.signal(syscall.SIGKILL)
		<-p.done
		return nil, err
	}
	p.log.Info("started", "pid", p.Pid(), "addr", p.addr, "dir", spec.dir)
	return p, nil
}

// spawnProcess starts spec's server and the goroutine that reaps it.
func spawnProcess(spec processSpec, log *slog.Logger) (*Process, error) {
	logDir := filepath.Join(spec.dir, "log")
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		return nil, err
	}
	stdout, err := os.OpenFile(filepath.Join(logDir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	stderrPath := filepath.Join(logDir, "stderr.log")
	stderr, err := os.OpenFile(stderrPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()

	stopSig := cmp.Or(spec.stopSig, syscall.SIGTERM)
	cmd := exec.Command(spec.path, spec.args...)
	cmd.Dir = spec.dir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	// Its own process group: a Ctrl-C on the terminal reaches tern only, and
	// tern stops the server when its shutdown order says so. Should tern
	// die without that, even by SIGKILL, the kernel stops the server as
	// Stop would (Pdeathsig; startChild keeps it sound).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: spec.credential, Pdeathsig: stopSig}
	if err := startChild(cmd); err != nil {
		return nil, err
	}
	if spec.claim != nil {
		if err := spec.claim.record(cmd.Process.Pid, stopSig); err != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
			return nil, fmt.Errorf("instance file: %w", err)
		}
	}
	p := &Process{
		name:     spec.name,
		addr:     spec.addr,
		httpAddr: spec.httpAddr,
		url:      spec.url,
		stopSig:  stopSig,
		logs:     append([]string{stderrPath}, spec.logs...),
		cmd:      cmd,
		log:      log.With("server", spec.name),
		done:     make(chan struct{}),
	}
	go func() {
		p.waitErr = cmd.Wait()
		if spec.claim != nil {
			spec.claim.release()
		}
		close(p.done)
	}()
	return p, nil
}

func (p *Process) waitReady(ctx context.Context, spec processSpec) error {
	ctx, cancel := context.WithTimeout(ctx, spec.timeout)
	defer cancel()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	var last error
	for {
		select {
		case <-p.done:
			return fmt.Errorf("start %s: %w", spec.name, p.exitError())
		default:
		}
		if last = spec.ready(ctx); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("start %s: %w", spec.name, p.exitError())
		case <-ctx.Done():
			return fmt.Errorf("start %s: %w after %s (%v): %v%s",
				spec.name, ErrNotReady, spec.timeout, ctx.Err(), last, tailOf(p.logs))
		case <-tick.C:
		}
	}
}
