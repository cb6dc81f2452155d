// Package web serves tern's dashboard, the web SMS platform: the
// TypeScript app in this directory (src/), built by `make web` into dist/
// and embedded in the binary. The app talks to tern only through the
// Connect API, with clients generated from proto/ (src/gen/).
//
// Hashed assets (dist/assets/) are served as immutable; index.html, which
// every app route gets, is never cached. Every response carries a strict
// Content-Security-Policy: only tern's own origin, no inline script. A
// binary built before the app (a fresh clone, `go build` without `make
// web`) serves a page saying so.
//
// The package serves files only; sessions and API calls are api's.
package web
