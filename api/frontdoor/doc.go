// Package frontdoor holds what tern's two front doors, the API and the SMPP
// gateway, share below their protocols: caps on open connections, in total
// and per client, and a TLS certificate reloaded from its files while
// connections keep being served.
//
// It reads no request bytes and knows nothing of HTTP or SMPP; whatever
// runs on a connection it admitted is the front door's own business.
package frontdoor
