// Command flood measures what unauthenticated clients sending large
// bodies do to a running `tern serve --dev`: its resident memory before,
// at the highest during each kind of flood, and after, and whether a
// normal Send still works afterwards.
//
// Kinds, each sent by -clients clients at once, in turn:
//
//	plain   a Connect Send over HTTP/1.1 with a -size body and no API key
//	gzip    the same, gzip-compressed: a small body that inflates to -size
//	frames  the HTTP/2 preface, then -size of DATA frames and never a HEADERS frame
//
// go run ./bench/flood builds ./cmd/tern; -tern runs another binary, such
// as one built from an older commit. -guard stops tern serve if its memory
// passes it, so that a server without limits cannot exhaust the machine.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

const mib = 1 << 20

func main() {
	bin := flag.String("tern", "", "tern binary to run; empty builds ./cmd/tern")
	clients := flag.Int("clients", 20, "clients of each kind, flooding at once")
	size := flag.Int64("size", 64*mib, "bytes each client sends (inflated size for gzip)")
	kinds := flag.String("kinds", "plain,gzip,frames", "kinds of flood, in order")
	guard := flag.Int64("guard", 8<<30, "stop tern serve if its RSS passes this many bytes (0: never)")
	flag.Parse()
	log.SetFlags(0)

	dir, err := os.MkdirTemp("", "tern-flood-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// The local PostgreSQL runs as its own user when tern runs as root.
	if err := os.Chmod(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	if *bin == "" {
		*bin = filepath.Join(dir, "tern")
		if out, err := exec.Command("go", "build", "-o", *bin, "./cmd/tern").CombinedOutput(); err != nil {
			log.Fatalf("go build ./cmd/tern: %v\n%s", err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	t, err := startTern(ctx, *bin, dir)
	if err != nil {
		log.Fatal(err)
	}
	defer t.stop()
	if err := run(ctx, t, strings.Split(*kinds, ","), *clients, *size, *guard); err != nil {
		log.Fatal(err)
	}
}

// run floods t with each kind in turn and prints what its memory did.
func run(ctx context.Context, t *ternServe, kinds []string, clients int, size, guard int64) error {
	pid := t.cmd.Process.Pid
	if _, err := send(ctx, t.addr, t.key); err != nil {
		return fmt.Errorf("send before the flood: %w", err)
	}
	base, _, err := rss(pid)
	if err != nil {
		return err
	}
	w := watchRSS(pid, guard, func(now int64) {
		log.Printf("tern serve at %d MiB RSS, over the guard of %d MiB: stopping it", now/mib, guard/mib)
		t.cmd.Process.Kill()
	})
	defer w.stop()
	fmt.Printf("%s\n%d clients of each kind, %d MiB each\n\n", t.args, clients, size/mib)
	fmt.Printf("| kind | tern serve RSS before | highest during | clients' answers | bytes a client got onto the connection |\n|---|---|---|---|---|\n")
	var gz []byte
	for _, kind := range kinds {
		before, _, _ := rss(pid)
		w.take()
		var flood func() outcome
		switch kind {
		case "plain":
			flood = func() outcome { return post(ctx, t.addr, "", &zeros{left: size}) }
		case "gzip":
			if gz == nil {
				gz = bomb(size)
			}
			flood = func() outcome { return post(ctx, t.addr, "gzip", bytes.NewReader(gz)) }
		case "frames":
			flood = func() outcome { return frames(ctx, t.addr, size) }
		default:
			return fmt.Errorf("kind %q: want plain, gzip or frames", kind)
		}
		outs := together(clients, flood)
		fmt.Printf("| %s | %d MiB | %d MiB | %s | %s |\n", kind, before/mib, max(w.take(), before)/mib, answers(outs), written(outs))
		if !t.alive() {
			return fmt.Errorf("tern serve stopped during the %s flood", kind)
		}
	}
	after, peak, _ := rss(pid)
	_, sendErr := send(ctx, t.addr, t.key)
	fmt.Printf("\nRSS after a normal Send before the flood: %d MiB; after the flood: %d MiB; peak (VmHWM): %d MiB\n", base/mib, after/mib, peak/mib)
	if sendErr != nil {
		return fmt.Errorf("send after the flood: %w", sendErr)
	}
	fmt.Printf("a normal Send after the flood: accepted\n")
	return nil
}

// together runs n calls of f at once and returns their outcomes.
func together(n int, f func() outcome) []outcome {
	outs := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() { outs[i] = f() })
	}
	wg.Wait()
	return outs
}

// answers counts the distinct answers: "20 × 401 Unauthorized".
func answers(outs []outcome) string {
	count := map[string]int{}
	for _, o := range outs {
		count[o.answer]++
	}
	var parts []string
	for a, n := range count {
		parts = append(parts, fmt.Sprintf("%d × %s", n, a))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// written gives the least and most bytes a client wrote.
func written(outs []outcome) string {
	lo, hi := outs[0].written, outs[0].written
	for _, o := range outs {
		lo, hi = min(lo, o.written), max(hi, o.written)
	}
	return fmt.Sprintf("%.1f–%.1f MiB", float64(lo)/mib, float64(hi)/mib)
}
