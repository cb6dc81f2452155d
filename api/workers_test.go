package api

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// serve runs s on a loopback listener and returns its base URL; the
// server is shut down when the test ends, unless the test did so.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}

func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, b)
	}
	return string(b), nil
}

// More requests at once than workers: the workers run some, the rest run
// on their own goroutines, and every one is answered.
func TestWorkersServeMoreRequestsThanWorkers(t *testing.T) {
	const callers = 12
	var started sync.WaitGroup
	started.Add(callers)
	release := make(chan struct{})
	s := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Done()
		<-release
		fmt.Fprint(w, r.URL.Query().Get("n"))
	}), WithRequestWorkers(3))
	url := serve(t, s)

	errs := make(chan error, callers)
	for i := range callers {
		go func() {
			body, err := get(fmt.Sprintf("%s/?n=%d", url, i))
			if err == nil && body != fmt.Sprint(i) {
				err = fmt.Errorf("request %d answered %q", i, body)
			}
			errs <- err
		}()
	}
	started.Wait() // all 12 handlers run at once with 3 workers
	close(release)
	for range callers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	s.workers.mu.Lock()
	n := s.workers.n
	s.workers.mu.Unlock()
	if n != 3 {
		t.Errorf("%d workers started, want 3", n)
	}
}

// A handler's panic aborts its request, as with a plain http.Server, and
// the server goes on answering.
func TestWorkersPanicAbortsOnlyItsRequest(t *testing.T) {
	s := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("handler bug")
		case "/abort":
			panic(http.ErrAbortHandler)
		}
		fmt.Fprint(w, "ok")
	}), WithRequestWorkers(1))
	url := serve(t, s)
	for _, path := range []string{"/panic", "/abort"} {
		if body, err := get(url + path); err == nil {
			t.Errorf("%s answered %q, want the request aborted", path, body)
		}
		if body, err := get(url + "/"); err != nil || body != "ok" {
			t.Errorf("after %s: %q, %v; want ok", path, body, err)
		}
	}
}

// Shutdown waits for the request in progress and then stops the workers.
func TestWorkersStopOnShutdown(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	s := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		fmt.Fprint(w, "ok")
	}), WithRequestWorkers(4))
	url := serve(t, s)
	for range 3 {
		if _, err := get(url + "/"); err != nil {
			t.Fatal(err)
		}
	}
	slow := make(chan error, 1)
	go func() { _, err := get(url + "/slow"); slow <- err }()
	<-entered

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in progress", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-slow; err != nil {
		t.Errorf("request in progress at shutdown: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	stopped := make(chan struct{})
	go func() { s.workers.wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("workers still running after Shutdown")
	}
	if _, err := get(url + "/"); err == nil {
		t.Errorf("request after Shutdown: %v, want refused", err)
	}
}
