package api

import (
	"fmt"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// mountDashboard mounts what d has of the dashboard: SessionService,
// which authenticates by password and cookie instead of an API key, and
// the web app at /, which gets every request no service claims. It
// returns the services' names.
func mountDashboard(mux *http.ServeMux, d Deps, opts connect.HandlerOption) []string {
	var names []string
	if d.Sessions != nil {
		path, h := ternv1connect.NewSessionServiceHandler(&sessionService{s: d.Sessions}, opts)
		mux.Handle(path, browserOnly(withTLSFlag(h)))
		names = append(names, ternv1connect.SessionServiceName)
	}
	if d.Web != nil {
		mux.Handle("/", notServed(d.Web))
	}
	return names
}

// notServed answers a Connect, gRPC or gRPC-Web call to a tern service
// this server does not mount with Unimplemented, which the dashboard
// shows as "not served here"; everything else goes to web.
func notServed(web http.Handler) http.Handler {
	ew := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/tern.") && ew.IsSupported(r) {
			ew.Write(w, r, connect.NewError(connect.CodeUnimplemented, fmt.Errorf("%s is not served here", r.URL.Path)))
			return
		}
		web.ServeHTTP(w, r)
	})
}
