package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// budget is the most compressed JavaScript a first visit may load: the
// scripts index.html names, what they import statically, and the
// biggest page loaded on demand with its own imports.
const budget = 250_000

var (
	htmlScript   = regexp.MustCompile(`(?:src|href)="/(assets/[^"]+\.js)"`)
	staticImport = regexp.MustCompile("(?:from|import)\\s*[\"'`]\\./([^\"'`]+\\.js)[\"'`]")
	lazyImport   = regexp.MustCompile("import\\(\\s*[\"'`]\\./([^\"'`]+\\.js)[\"'`]\\s*\\)")
)

// TestFirstLoadBudget measures the gzipped JavaScript of the app built
// into dist/ (make web) and fails over budget. go test -v prints the
// figures bench/RESULTS.md records.
func TestFirstLoadBudget(t *testing.T) {
	sub, _ := fs.Sub(dist, "dist")
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dashboard not built (make web): %v", err)
		}
		t.Skipf("dashboard not built (make web): %v", err)
	}
	read := func(p string) []byte {
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			t.Fatalf("index.html or a chunk names %s: %v", p, err)
		}
		return b
	}
	// closure adds p and what it imports statically to set.
	var closure func(p string, set map[string]bool)
	closure = func(p string, set map[string]bool) {
		if set[p] {
			return
		}
		set[p] = true
		for _, m := range staticImport.FindAllSubmatch(read(p), -1) {
			closure("assets/"+string(m[1]), set)
		}
	}
	entry := map[string]bool{}
	for _, m := range htmlScript.FindAllSubmatch(index, -1) {
		closure(string(m[1]), entry)
	}
	if len(entry) == 0 {
		t.Fatal("index.html names no script")
	}
	lazy := map[string]bool{}
	for p := range entry {
		for _, m := range lazyImport.FindAllSubmatch(read(p), -1) {
			lazy["assets/"+string(m[1])] = true
		}
	}
	entrySize := gzipSizes(t, read, entry)
	worst, worstPage := entrySize, ""
	for p := range lazy {
		set := map[string]bool{}
		for q := range entry {
			set[q] = true
		}
		closure(p, set)
		if n := gzipSizes(t, read, set); n > worst {
			worst, worstPage = n, p
		}
	}
	all := map[string]bool{}
	fs.WalkDir(sub, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".js") {
			all[p] = true
		}
		return nil
	})
	t.Logf("gzipped JavaScript: entry %d B (%s); worst first load %d B (entry + %s); all %d B in %d files; budget %d B",
		entrySize, names(entry), worst, worstPage, gzipSizes(t, read, all), len(all), budget)
	if worst > budget {
		t.Fatalf("a first visit loads %d B of gzipped JavaScript, over the budget of %d B", worst, budget)
	}
}

func gzipSizes(t *testing.T, read func(string) []byte, set map[string]bool) int {
	t.Helper()
	n := 0
	for p := range set {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(read(p))
		zw.Close()
		n += buf.Len()
	}
	return n
}

func names(set map[string]bool) string {
	var out []string
	for p := range set {
		out = append(out, strings.TrimPrefix(p, "assets/"))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
