package api

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
)

// defaultWorkers bounds the goroutines a Server keeps for running
// requests: enough for the requests a busy instance holds open while it
// waits for Kafka's acks.
const defaultWorkers = 1024

// workers runs requests on long-lived goroutines.
//
// The HTTP/2 server starts a goroutine for every request, with the
// runtime's small starting stack. A Send reaches the intake deeper than
// that stack, so a fresh goroutine grows it on the way, copying every
// frame each time (bench/RESULTS.md). A worker keeps its grown stack from
// one request to the next. When no worker is idle a new one starts, up to a limit;
// past that the request runs on its own goroutine, as without the pool.
type workers struct {
	next http.Handler
	jobs chan *job // unbuffered: a send succeeds only to an idle worker
	quit chan struct{}
	pool sync.Pool // of *job

	mu       sync.Mutex
	n, limit int
	closed   bool
	wg       sync.WaitGroup
}

type job struct {
	w    http.ResponseWriter
	r    *http.Request
	done chan any // the handler's panic, or nil
}

func newWorkers(next http.Handler, limit int) *workers {
	return &workers{
		next:  next,
		limit: limit,
		jobs:  make(chan *job),
		quit:  make(chan struct{}),
		pool:  sync.Pool{New: func() any { return &job{done: make(chan any, 1)} }},
	}
}

// ServeHTTP hands the request to a worker and waits for it. A panic in
// the handler is raised again here, on the server's goroutine, so the
// server treats it as it treats any handler's panic.
func (ws *workers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j := ws.pool.Get().(*job)
	j.w, j.r = w, r
	select {
	case ws.jobs <- j:
	default:
		if !ws.start(j) {
			j.w, j.r = nil, nil
			ws.pool.Put(j)
			ws.next.ServeHTTP(w, r)
			return
		}
	}
	p := <-j.done
	j.w, j.r = nil, nil
	ws.pool.Put(j)
	if p != nil {
		panic(p)
	}
}

// start starts a worker whose first job is j, unless limit run or the pool
// is closed.
func (ws *workers) start(j *job) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed || ws.n >= ws.limit {
		return false
	}
	ws.n++
	ws.wg.Add(1)
	go ws.work(j)
	return true
}

func (ws *workers) work(j *job) {
	defer ws.wg.Done()
	for {
		ws.run(j)
		select {
		case j = <-ws.jobs:
		case <-ws.quit:
			return
		}
	}
}

func (ws *workers) run(j *job) {
	defer func() {
		p := recover()
		if p != nil && p != http.ErrAbortHandler {
			p = handlerPanic{value: p, stack: debug.Stack()}
		}
		j.done <- p
	}()
	ws.next.ServeHTTP(j.w, j.r)
}

// handlerPanic carries a handler's panic, with the worker's stack where
// it happened, to the server's goroutine, whose own stack would not show
// where.
type handlerPanic struct {
	value any
	stack []byte
}

func (p handlerPanic) String() string { return fmt.Sprintf("%v\n\n%s", p.value, p.stack) }

// close stops the idle workers and those that finish their request; it
// does not wait for them.
func (ws *workers) close() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if !ws.closed {
		ws.closed = true
		close(ws.quit)
	}
}

// wait waits until every worker has stopped.
func (ws *workers) wait() { ws.wg.Wait() }
