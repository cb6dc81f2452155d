package localsvc

import (
	"os/exec"
	"runtime"
	"sync"
)

// spawnRequest asks the spawner to start cmd and answer on done.
type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

// spawner is the one goroutine of the process that starts servers. It is
// locked to its OS thread and never returns, so that thread lives as long
// as the process: the kernel sends a child its parent-death signal
// (Pdeathsig) when the thread that forked it ends, not the process, and a
// Go thread can end under a running process (a goroutine that exits while
// locked to its thread takes the thread with it). One per process, because
// the thread is the process's.
var spawner = sync.OnceValue(func() chan<- spawnRequest {
	reqs := make(chan spawnRequest)
	go func() {
		runtime.LockOSThread() // never unlocked: see spawner
		for r := range reqs {
			r.done <- r.cmd.Start()
		}
	}()
	return reqs
})

// startChild is cmd.Start run on the spawner's thread, where the fork
// happens. Give cmd a Pdeathsig for it to matter.
func startChild(cmd *exec.Cmd) error {
	r := spawnRequest{cmd: cmd, done: make(chan error, 1)}
	spawner() <- r
	return <-r.done
}
