package localsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"
)

// parentDeathHelperEnv, set, makes TestServerDiesWithTern the helper
// process it kills: the value is the directory to work in.
const parentDeathHelperEnv = "TERN_LOCALSVC_PARENT_DEATH_HELPER"

// A server ends with the tern that started it, even when tern is killed
// with SIGKILL and cannot stop it; and not before: the thread that started
// it ending (here a goroutine that exits locked to its thread) leaves it
// running.
func TestServerDiesWithTern(t *testing.T) {
	if dir := os.Getenv(parentDeathHelperEnv); dir != "" {
		parentDeathHelper(dir)
		return
	}
	t.Parallel()
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithTern$", "-test.v")
	helper.Env = append(os.Environ(), parentDeathHelperEnv+"="+dir)
	out, err := os.Create(filepath.Join(dir, "helper.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	helper.Stdout, helper.Stderr = out, out
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Process.Kill()
	var report []string
	testkit.Eventually(t, time.Minute, func() error {
		b, _ := os.ReadFile(filepath.Join(dir, "report"))
		if report = strings.Fields(string(b)); len(report) != 2 {
			log, _ := os.ReadFile(out.Name())
			return fmt.Errorf("no report from the helper yet; its log:\n%s", log)
		}
		return nil
	})
	pid, _ := strconv.Atoi(report[0])
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })
	if report[1] != "running" {
		t.Fatalf("the server (pid %d) ended with the thread that started it: %s", pid, report[1])
	}

	helper.Process.Signal(syscall.SIGKILL)
	helper.Wait()
	testkit.Eventually(t, 30*time.Second, func() error {
		if alive(pid) {
			return fmt.Errorf("server pid %d still runs after its tern (pid %d) was killed", pid, helper.Process.Pid)
		}
		return nil
	})
}

// parentDeathHelper starts a stand-in server from a goroutine that ends
// locked to its thread, so the thread ends too, then reports the server's
// pid and whether it still runs, and waits to be killed.
func parentDeathHelper(dir string) {
	bin := filepath.Join(dir, "server")
	marker := filepath.Join(dir, "ready")
	script := "#!/bin/sh\ntouch " + marker + "\nexec sleep 300\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		panic(err)
	}
	type started struct {
		p   *Process
		tid int
		err error
	}
	res := make(chan started, 1)
	var s started
	for s.tid == 0 {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
			if syscall.Gettid() == os.Getpid() {
				// The main thread does not end with a goroutine: keep it
				// busy here and try again on another.
				res <- started{}
				select {}
			}
			p, err := startProcess(context.Background(), processSpec{
				name: "stand-in", path: bin, dir: dir, timeout: time.Minute,
				ready: func(context.Context) error { _, err := os.Stat(marker); return err },
			}, slog.New(slog.NewTextHandler(os.Stderr, nil)))
			res <- started{p, syscall.Gettid(), err}
		}()
		if s = <-res; s.err != nil {
			panic(s.err)
		}
	}
	tick := time.NewTicker(10 * time.Millisecond)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", s.tid)); errors.Is(err, os.ErrNotExist) {
			break
		}
		<-tick.C
	}
	tick.Stop()
	// A parent-death signal is sent as the thread ends; give the server
	// time to act on one, were it sent.
	<-time.After(500 * time.Millisecond)
	state := "running"
	if !alive(s.p.Pid()) {
		state = "ended"
	}
	if err := os.WriteFile(filepath.Join(dir, "report"), []byte(fmt.Sprintf("%d %s\n", s.p.Pid(), state)), 0o600); err != nil {
		panic(err)
	}
	select {}
}

// alive reports whether pid runs: it exists and is not a zombie waiting
// for a parent to reap it.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}
