package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

var app = fstest.MapFS{
	"index.html":                 {Data: []byte(`<!doctype html><script type="module" src="/assets/index-AbC123.js"></script>` + strings.Repeat(" ", 200))},
	"assets/index-AbC123.js":     {Data: []byte(strings.Repeat("console.log('tern');\n", 100))},
	"assets/index-AbC123.css":    {Data: []byte("body{margin:0}")},
	"assets/index-AbC123.js.map": {Data: []byte("{}")},
	"favicon.svg":                {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	".gitkeep":                   {Data: nil},
}

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

func TestHandler(t *testing.T) {
	t.Parallel()
	h, err := NewFS(app)
	if err != nil {
		t.Fatal(err)
	}
	index := string(app["index.html"].Data)
	tests := []struct {
		name, method, path string
		status             int
		cache, ctype, body string
	}{
		{"root", "GET", "/", 200, "no-cache", "text/html; charset=utf-8", index},
		{"index itself", "GET", "/index.html", 200, "no-cache", "text/html; charset=utf-8", index},
		{"an app route", "GET", "/send", 200, "no-cache", "text/html; charset=utf-8", index},
		{"a nested app route", "GET", "/developers/api-keys", 200, "no-cache", "text/html; charset=utf-8", index},
		{"hashed script", "GET", "/assets/index-AbC123.js", 200, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", string(app["assets/index-AbC123.js"].Data)},
		{"hashed style", "GET", "/assets/index-AbC123.css", 200, "public, max-age=31536000, immutable", "text/css; charset=utf-8", "body{margin:0}"},
		{"unhashed file", "GET", "/favicon.svg", 200, "no-cache", "image/svg+xml", string(app["favicon.svg"].Data)},
		{"head", "HEAD", "/send", 200, "no-cache", "text/html; charset=utf-8", ""},
		{"missing asset", "GET", "/assets/index-Old999.js", 404, "", "", ""},
		{"source map not served", "GET", "/assets/index-AbC123.js.map", 404, "", "", ""},
		{"hidden file not served", "GET", "/.gitkeep", 404, "", "", ""},
		{"missing file", "GET", "/robots.txt", 404, "", "", ""},
		{"dot-dot stays inside", "GET", "/../../etc/passwd", 200, "no-cache", "text/html; charset=utf-8", index},
		{"post", "POST", "/tern.v1.NoSuchService/Call", 404, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, h, tt.method, tt.path, nil)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("%s %s: %d", tt.method, tt.path, resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Security-Policy"); got != CSP {
				t.Errorf("CSP %q", got)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}
			if tt.status != 200 {
				return
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if string(body) != tt.body {
				t.Errorf("body %.40q, want %.40q", body, tt.body)
			}
		})
	}
}

func TestHandlerGzipAndETag(t *testing.T) {
	t.Parallel()
	h, err := NewFS(app)
	if err != nil {
		t.Fatal(err)
	}
	js := "/assets/index-AbC123.js"
	resp := get(t, h, "GET", js, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, app["assets/index-AbC123.js"].Data) {
		t.Fatal("gzipped body differs")
	}
	for _, ae := range []string{"", "gzip;q=0", "identity"} {
		if r := get(t, h, "GET", js, map[string]string{"Accept-Encoding": ae}); r.Header.Get("Content-Encoding") != "" {
			t.Errorf("Accept-Encoding %q got gzip", ae)
		}
	}
	etag := resp.Header.Get("ETag")
	if r := get(t, h, "GET", js, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag}); r.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match %s: %d", etag, r.StatusCode)
	}
	if r := get(t, h, "GET", js, map[string]string{"If-None-Match": etag}); r.StatusCode != http.StatusOK {
		t.Fatalf("the gzip ETag matched the plain body: %d", r.StatusCode)
	}
}

func TestHandlerNotBuilt(t *testing.T) {
	t.Parallel()
	h, err := NewFS(fstest.MapFS{".gitkeep": {}})
	if err != nil {
		t.Fatal(err)
	}
	if h.Built() {
		t.Fatal("Built with no index.html")
	}
	resp := get(t, h, "GET", "/send", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "make web") ||
		resp.Header.Get("Content-Security-Policy") != CSP {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if get(t, h, "GET", "/assets/x.js", nil).StatusCode != http.StatusNotFound {
		t.Fatal("asset of an unbuilt app not 404")
	}
}
