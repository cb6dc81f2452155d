package api

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/pipeline/tenants"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// sessionService serves tern.v1.SessionService. browserOnly has refused
// calls from no browser client before it runs.
type sessionService struct {
	s *Sessions
}

var _ ternv1connect.SessionServiceHandler = (*sessionService)(nil)

type tlsKey struct{}

// withTLSFlag records in the context whether the call came over TLS,
// which decides the cookie's Secure attribute.
func withTLSFlag(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tlsKey{}, r.TLS != nil)))
	})
}

// browserOnly refuses SessionService calls that come from no browser
// client (see browserCall) before their body is read.
func browserOnly(next http.Handler) http.Handler {
	ew := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ew.IsSupported(r) && !browserCall(r) {
			ew.Write(w, r, connect.NewError(connect.CodePermissionDenied, errNotBrowserCall))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cookie is the session cookie holding token until expires; an empty
// token clears it.
func cookie(ctx context.Context, token string, expires time.Time) string {
	secure, _ := ctx.Value(tlsKey{}).(bool)
	c := &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
	if token == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c.String()
}

// token returns the session token the request's cookie carries.
func token(h http.Header) string {
	for _, c := range (&http.Request{Header: h}).Cookies() {
		if c.Name == SessionCookie {
			return c.Value
		}
	}
	return ""
}

func (s *sessionService) Login(ctx context.Context, req *connect.Request[ternv1.LoginRequest]) (*connect.Response[ternv1.LoginResponse], error) {
	if wait := s.s.limiter.allow(req.Peer().Addr); wait > 0 {
		return nil, sessionError(s.s.log, loginRateError{wait})
	}
	m := req.Msg
	u, err := s.s.auth.Authenticate(ctx, m.GetTenantId(), m.GetEmail(), m.GetPassword())
	if err != nil {
		return nil, sessionError(s.s.log, err)
	}
	tok, ses, err := s.s.store.CreateSession(ctx, u)
	if err != nil {
		return nil, sessionError(s.s.log, err)
	}
	resp := connect.NewResponse(&ternv1.LoginResponse{User: userProto(u), ExpiresAt: timestamppb.New(ses.Expires), Scopes: u.Role.Scopes().Names()})
	resp.Header().Add("Set-Cookie", cookie(ctx, tok, ses.Expires))
	return resp, nil
}

func (s *sessionService) Logout(ctx context.Context, req *connect.Request[ternv1.LogoutRequest]) (*connect.Response[ternv1.LogoutResponse], error) {
	if err := s.s.store.EndSession(ctx, token(req.Header())); err != nil {
		return nil, sessionError(s.s.log, err)
	}
	resp := connect.NewResponse(&ternv1.LogoutResponse{})
	resp.Header().Add("Set-Cookie", cookie(ctx, "", time.Time{}))
	return resp, nil
}

func (s *sessionService) LogoutEverywhere(ctx context.Context, req *connect.Request[ternv1.LogoutEverywhereRequest]) (*connect.Response[ternv1.LogoutEverywhereResponse], error) {
	ses, err := s.s.store.Session(ctx, token(req.Header()))
	if err != nil {
		return nil, sessionError(s.s.log, err)
	}
	n, err := s.s.store.EndUserSessions(ctx, ses.User.Tenant, ses.User.ID)
	if err != nil {
		return nil, sessionError(s.s.log, err)
	}
	resp := connect.NewResponse(&ternv1.LogoutEverywhereResponse{Ended: n})
	resp.Header().Add("Set-Cookie", cookie(ctx, "", time.Time{}))
	return resp, nil
}

func (s *sessionService) Me(ctx context.Context, req *connect.Request[ternv1.MeRequest]) (*connect.Response[ternv1.MeResponse], error) {
	ses, err := s.s.store.Session(ctx, token(req.Header()))
	if err != nil {
		return nil, sessionError(s.s.log, err)
	}
	return connect.NewResponse(&ternv1.MeResponse{User: userProto(ses.User), ExpiresAt: timestamppb.New(ses.Expires),
		Scopes: ses.User.Role.Scopes().Names()}), nil
}

func userProto(u tenants.User) *ternv1.User {
	return &ternv1.User{Id: u.ID, TenantId: u.Tenant, Email: u.Email, Role: ternv1.Role(u.Role), CreatedAt: timestamppb.New(u.Created)}
}
