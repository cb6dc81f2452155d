package api

import (
	"net/http"

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
		mux.Handle("/", d.Web)
	}
	return names
}
