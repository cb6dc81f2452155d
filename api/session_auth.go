package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/pipeline/tenants"
)

// SessionCookie is the name of the dashboard's session cookie. Its
// value is the session token; only its hash is stored.
const SessionCookie = "tern_session"

// Authenticator checks a dashboard user's password; tenants.Logins is
// one.
type Authenticator interface {
	Authenticate(ctx context.Context, tenant, email, password string) (tenants.User, error)
}

// SessionStore starts, finds and ends dashboard sessions;
// tenants.Logins is one.
type SessionStore interface {
	CreateSession(ctx context.Context, u tenants.User) (string, tenants.Session, error)
	Session(ctx context.Context, token string) (tenants.Session, error)
	EndSession(ctx context.Context, token string) error
	EndUserSessions(ctx context.Context, tenant, userID string) (int64, error)
}

// Sessions serves SessionService and turns a browser call's session
// cookie into its Caller: the user's tenant, with the API key scopes of
// the user's role. Safe for concurrent use.
type Sessions struct {
	auth    Authenticator
	store   SessionStore
	log     *slog.Logger
	limiter *loginLimiter
}

// SessionOption configures Sessions.
type SessionOption func(*Sessions)

// WithLoginRate limits login attempts from one client address to
// perMinute, in bursts of up to burst (default 10 a minute, bursts of
// 10). Every attempt counts, successful or not.
func WithLoginRate(perMinute, burst int) SessionOption {
	return func(s *Sessions) {
		if perMinute > 0 && burst > 0 {
			s.limiter = newLoginLimiter(perMinute, burst)
		}
	}
}

// WithSessionLog sets the logger of unexpected errors (default
// slog.Default()).
func WithSessionLog(log *slog.Logger) SessionOption {
	return func(s *Sessions) { s.log = log }
}

// NewSessions returns Sessions over auth and store.
func NewSessions(auth Authenticator, store SessionStore, opts ...SessionOption) *Sessions {
	s := &Sessions{auth: auth, store: store, log: slog.Default(), limiter: newLoginLimiter(10, 10)}
	for _, o := range opts {
		o(s)
	}
	return s
}

var (
	errNoSessionCookie = errors.New("missing API key or session: send Authorization: Bearer KEY, or sign in")
	errNotBrowserCall  = errors.New("a session cookie is accepted only on a same-origin POST from a Connect or gRPC-Web client (Connect-Protocol-Version or X-Grpc-Web header)")
)

// HasSessionCookie tells whether r carries a session cookie at all.
func HasSessionCookie(r *http.Request) bool {
	_, err := r.Cookie(SessionCookie)
	return err == nil
}

// browserCall tells whether r may be authenticated by its cookie: a POST
// with a header that only a script of tern's own origin can add. A
// cross-site form can send neither a custom header nor a non-form
// content type, and a cross-site script that tries is stopped by the
// browser's CORS preflight, which tern never approves. Origin and
// Sec-Fetch-Site, when the browser sends them, must say same origin too.
func browserCall(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	if r.Header.Get("Connect-Protocol-Version") != "1" && r.Header.Get("X-Grpc-Web") != "1" {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return false
		}
	}
	return true
}

// Caller resolves the session cookie of a browser's call to procedure:
// the caller it makes the call as, or the *connect.Error refusing it
// (Unauthenticated without a live session or from no browser client,
// PermissionDenied when the user's role lacks the procedure's scope).
// It reads no body. It is what the API's authentication consults for a
// call with no Authorization header.
func (s *Sessions) Caller(r *http.Request, procedure string) (Caller, *connect.Error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return Caller{}, connect.NewError(connect.CodeUnauthenticated, errNoSessionCookie)
	}
	if !browserCall(r) {
		return Caller{}, connect.NewError(connect.CodeUnauthenticated, errNotBrowserCall)
	}
	ses, err := s.store.Session(r.Context(), ck.Value)
	if err != nil {
		return Caller{}, sessionError(s.log, err)
	}
	c := sessionCaller(ses)
	if ok, why := c.permits(procedure); !ok {
		if need, known := procedureScopes[procedure]; known && !c.Scopes.Has(need) {
			why = fmt.Sprintf("the %s role lacks the %s scope", ses.User.Role, need)
		}
		return Caller{}, connect.NewError(connect.CodePermissionDenied, errors.New(why))
	}
	return c, nil
}

// sessionCaller is the Caller a session makes calls as.
func sessionCaller(ses tenants.Session) Caller {
	return Caller{KeyID: "session/" + ses.ID, Tenant: ses.User.Tenant, Scopes: ses.User.Role.Scopes()}
}
