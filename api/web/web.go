package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// CSP is the Content-Security-Policy of every response: scripts, styles,
// fonts, images and API calls from tern's own origin only, no inline
// script or style, no framing, no plugins.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// notBuilt is the page a binary built without the app serves.
const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tern: dashboard not built</title></head>
<body><h1>Dashboard not built</h1>
<p>This tern binary was built without its dashboard. Run <code>make web</code> (or <code>make build</code>,
which runs it) and build tern again. The API on this port works without it.</p></body></html>
`

// file is one file of the app, ready to serve.
type file struct {
	body, gz []byte // gz is nil when compressing does not pay
	ctype    string
	etag     string
}

// Handler serves the dashboard. Build one with New.
type Handler struct {
	files map[string]*file // by path without the leading slash
	index *file            // nil when the app is not built
}

// New returns the handler of the app embedded in the binary.
func New() (*Handler, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, err
	}
	return NewFS(sub)
}

// NewFS returns a handler serving the built app in fsys: index.html and
// the files beside it. Text files are gzipped once, here.
func NewFS(fsys fs.FS) (*Handler, error) {
	h := &Handler{files: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") || strings.HasSuffix(p, ".map") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		h.files[p] = newFile(p, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard files: %w", err)
	}
	h.index = h.files["index.html"]
	return h, nil
}

// Built tells whether the app is there to serve.
func (h *Handler) Built() bool { return h.index != nil }

func newFile(p string, b []byte) *file {
	sum := sha256.Sum256(b)
	f := &file{body: b, ctype: mime.TypeByExtension(path.Ext(p)), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if f.ctype == "" {
		f.ctype = "application/octet-stream"
	}
	if compressible(f.ctype) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		if buf.Len() < len(b) {
			f.gz = buf.Bytes()
		}
	}
	return f
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// ServeHTTP serves GET and HEAD: a file of dist, hashed assets under
// /assets/ as immutable; index.html for any other path without a file
// extension (the app's own routes), never cached. Anything else is 404,
// which Connect clients read as Unimplemented.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.NotFound(w, r)
		return
	}
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if p == "" || p == "index.html" {
		p = "/" // an app route
	}
	f, ok := h.files[p]
	switch {
	case ok && strings.HasPrefix(p, "assets/"):
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	case ok:
		hd.Set("Cache-Control", "no-cache")
	case strings.HasPrefix(p, "assets/") || strings.Contains(path.Base(p), "."):
		http.NotFound(w, r)
		return
	case h.index == nil:
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, notBuilt)
		return
	default:
		f = h.index
		hd.Set("Cache-Control", "no-cache")
	}
	serve(w, r, f)
}

// serve writes f, gzipped when the client takes it.
func serve(w http.ResponseWriter, r *http.Request, f *file) {
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	body, etag := f.body, f.etag
	if f.gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			hd.Set("Content-Encoding", "gzip")
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reads an Accept-Encoding header: gzip listed without q=0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") || strings.TrimSpace(name) == "*" {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
