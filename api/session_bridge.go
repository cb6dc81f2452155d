package api

import (
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// WithSessionCookies returns h, except that a call with no Authorization
// header and a session cookie, to MessageService, AnalyticsService or
// (with admin) AdminService, is authenticated by the cookie
// (Sessions.Caller) instead of an API key and served by the same
// handlers h's use. Everything else goes to h. Without d.Sessions it
// returns h.
//
// It lets the dashboard use those services until the API's key check
// consults Sessions.Caller itself for calls without a key; then it goes.
func WithSessionCookies(h http.Handler, d Deps, admin *AdminDeps) (http.Handler, error) {
	if d.Sessions == nil {
		return h, nil
	}
	d, err := d.check()
	if err != nil {
		return nil, err
	}
	opts := connect.WithHandlerOptions(connect.WithReadMaxBytes(MaxRequestBytes), boundedGzip(MaxRequestBytes))
	mux := http.NewServeMux()
	path, mh := ternv1connect.NewMessageServiceHandler(&messageService{d: d}, opts)
	mux.Handle(path, requireSession(d.Sessions, mh))
	path, ah := ternv1connect.NewAnalyticsServiceHandler(&analyticsService{d: d}, opts)
	mux.Handle(path, requireSession(d.Sessions, ah))
	if admin != nil {
		path, dh := ternv1connect.NewAdminServiceHandler(NewAdminService(*admin), opts)
		mux.Handle(path, requireSession(d.Sessions, dh))
	}
	sessionPath := "/" + ternv1connect.SessionServiceName + "/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || !HasSessionCookie(r) || strings.HasPrefix(r.URL.Path, sessionPath) {
			h.ServeHTTP(w, r)
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			h.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}), nil
}
