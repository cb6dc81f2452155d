package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// sessionFixture is the API with dashboard sessions on a real
// PostgreSQL: tenant shop-1 with key "key-one", owner ana and viewer vi.
type sessionFixture struct {
	srv    *httptest.Server
	store  *tenants.Store
	sender *countingSender
}

const (
	anaPassword = "ana's long password"
	viPassword  = "vi's long password"
)

func newSessionFixture(t *testing.T, ctx context.Context, tlsServer bool, opts ...SessionOption) *sessionFixture {
	t.Helper()
	ts, err := tenants.Open(ctx, pgtest.URL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	if _, err := ts.CreateTenant(ctx, tenants.Tenant{ID: "shop-1"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		email, pw string
		role      tenants.Role
	}{{"ana@shop.example", anaPassword, tenants.RoleOwner}, {"vi@shop.example", viPassword, tenants.RoleViewer}} {
		if _, err := ts.CreateUser(ctx, "shop-1", u.email, u.role, u.pw); err != nil {
			t.Fatal(err)
		}
	}
	logins := tenants.NewLogins(ts, tenants.LoginPolicy{MaxFailures: 3})
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash("key-one")}})
	if err != nil {
		t.Fatal(err)
	}
	f := &sessionFixture{store: ts, sender: &countingSender{}}
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "dashboard "+r.URL.Path) })
	d := Deps{Keys: keys, Sender: f.sender, Reports: noReports{}, IDs: noReports{}, Log: slog.New(slog.DiscardHandler),
		Web: web, Sessions: NewSessions(logins, logins, opts...)}
	d.Admin = NewAdminService(AdminDeps{Tenants: ts, Keys: ts, Senders: ts, Log: d.Log})
	h, err := NewHandler(d)
	if err != nil {
		t.Fatal(err)
	}
	if tlsServer {
		f.srv = httptest.NewTLSServer(h)
	} else {
		f.srv = httptest.NewServer(h)
	}
	t.Cleanup(f.srv.Close)
	return f
}

// browser is one browser's cookie jar and its clients.
type browser struct {
	http     *http.Client
	sessions ternv1connect.SessionServiceClient
	messages ternv1connect.MessageServiceClient
	admin    ternv1connect.AdminServiceClient
}

func (f *sessionFixture) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *f.srv.Client()
	c.Jar = jar
	return &browser{http: &c, sessions: ternv1connect.NewSessionServiceClient(&c, f.srv.URL),
		messages: ternv1connect.NewMessageServiceClient(&c, f.srv.URL), admin: ternv1connect.NewAdminServiceClient(&c, f.srv.URL)}
}

func (b *browser) login(t *testing.T, ctx context.Context, email, pw string) *connect.Response[ternv1.LoginResponse] {
	t.Helper()
	resp, err := b.sessions.Login(ctx, connect.NewRequest(&ternv1.LoginRequest{Email: email, Password: pw}))
	if err != nil {
		t.Fatalf("Login %s: %v", email, err)
	}
	return resp
}

func TestSessionLogin(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := newSessionFixture(t, ctx, false)
	b := f.browser(t)
	_, err := b.sessions.Login(ctx, connect.NewRequest(&ternv1.LoginRequest{Email: "ana@shop.example", Password: "not ana's password"}))
	if connect.CodeOf(err) != connect.CodeUnauthenticated || errText(err) != "email or password is wrong" {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := b.sessions.Me(ctx, connect.NewRequest(&ternv1.MeRequest{})); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("Me before login: %v", err)
	}
	resp := b.login(t, ctx, "ANA@shop.example", anaPassword)
	set := resp.Header().Get("Set-Cookie")
	for _, want := range []string{SessionCookie + "=tses_", "Path=/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("Set-Cookie %q is Secure without TLS", set)
	}
	if u := resp.Msg.GetUser(); u.GetEmail() != "ana@shop.example" || u.GetRole() != ternv1.Role_ROLE_OWNER || u.GetTenantId() != "shop-1" ||
		strings.Join(resp.Msg.GetScopes(), ",") != "send,read,contacts,admin" {
		t.Fatalf("Login = %v", resp.Msg)
	}
	me, err := b.sessions.Me(ctx, connect.NewRequest(&ternv1.MeRequest{}))
	if err != nil || me.Msg.GetUser().GetId() != resp.Msg.GetUser().GetId() {
		t.Fatalf("Me = %v, %v", me, err)
	}
	// The cookie works for the other services, as the user's tenant.
	est, err := b.messages.Estimate(ctx, connect.NewRequest(&ternv1.EstimateRequest{Body: "Sale 🎉 today 🎉, it’s on"}))
	if err != nil || est.Msg.GetEncoding() != ternv1.Encoding_ENCODING_UCS2 || strings.Join(est.Msg.GetUcs2Characters(), "") != "🎉’" {
		t.Fatalf("Estimate with the cookie = %v, %v", est, err)
	}
	if _, err := b.messages.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", Body: "hi"})); err != nil || f.sender.n.Load() != 1 {
		t.Fatalf("Send with the cookie: %v (sent %d)", err, f.sender.n.Load())
	}
	if _, err := b.sessions.Logout(ctx, connect.NewRequest(&ternv1.LogoutRequest{})); err != nil {
		t.Fatal(err)
	}
	if _, err := b.messages.Estimate(ctx, connect.NewRequest(&ternv1.EstimateRequest{Body: "hi"})); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("Estimate after logout: %v", err)
	}
}

// TestSessionCookieNeedsBrowserHeaders: the cookie alone, as a
// cross-site form or a foreign page would send it, authenticates nothing.
func TestSessionCookieNeedsBrowserHeaders(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := newSessionFixture(t, ctx, false)
	b := f.browser(t)
	b.login(t, ctx, "ana@shop.example", anaPassword)
	post := func(path, ctype, body string, header map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	send := "/tern.v1.MessageService/Send"
	msg := `{"to":"+14155552671","body":"hi"}`
	for _, tt := range []struct {
		name, path, ctype string
		header            map[string]string
		status            int
	}{
		{"form post", send, "application/x-www-form-urlencoded", nil, http.StatusUnauthorized},
		{"text/plain post", send, "text/plain", nil, http.StatusUnsupportedMediaType},
		{"json without the Connect header", send, "application/json", nil, http.StatusUnauthorized},
		{"another origin", send, "application/json", map[string]string{"Connect-Protocol-Version": "1", "Origin": "https://evil.example"}, http.StatusUnauthorized},
		{"cross-site fetch", send, "application/json", map[string]string{"Connect-Protocol-Version": "1", "Sec-Fetch-Site": "cross-site"}, http.StatusUnauthorized},
		{"an API key wins over the cookie", send, "application/json", map[string]string{"Connect-Protocol-Version": "1", "Authorization": "Bearer wrong-key"}, http.StatusUnauthorized},
		{"login without the Connect header", "/tern.v1.SessionService/Login", "application/json", nil, http.StatusForbidden},
		{"same origin with the header", send, "application/json", map[string]string{"Connect-Protocol-Version": "1", "Origin": f.srv.URL, "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
	} {
		body := msg
		if strings.HasSuffix(tt.path, "/Login") {
			body = `{"email":"ana@shop.example","password":"` + anaPassword + `"}`
		}
		if status, out := post(tt.path, tt.ctype, body, tt.header); status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, status, out, tt.status)
		}
	}
	if n := f.sender.n.Load(); n != 1 {
		t.Fatalf("%d messages sent, want only the same-origin one", n)
	}
}

func TestSessionRoles(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := newSessionFixture(t, ctx, false)
	b := f.browser(t)
	if got := b.login(t, ctx, "vi@shop.example", viPassword).Msg.GetScopes(); strings.Join(got, ",") != "read" {
		t.Fatalf("viewer scopes %v", got)
	}
	_, err := b.messages.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", Body: "hi"}))
	if connect.CodeOf(err) != connect.CodePermissionDenied || errText(err) != "the viewer role lacks the send scope" {
		t.Fatalf("viewer Send: %v", err)
	}
	if _, err := b.messages.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: "m1"})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("viewer GetMessage: %v, want NotFound (allowed, no such message)", err)
	}
	if f.sender.n.Load() != 0 {
		t.Fatal("a viewer's message was sent")
	}
}

// TestSessionAPIKeys: an owner manages the tenant's API keys from the
// dashboard; a viewer may not even list them.
func TestSessionAPIKeys(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := newSessionFixture(t, ctx, false)
	owner, viewer := f.browser(t), f.browser(t)
	owner.login(t, ctx, "ana@shop.example", anaPassword)
	viewer.login(t, ctx, "vi@shop.example", viPassword)
	created, err := owner.admin.CreateApiKey(ctx, connect.NewRequest(&ternv1.CreateApiKeyRequest{Name: "checkout",
		Scopes: []ternv1.ApiKeyScope{ternv1.ApiKeyScope_API_KEY_SCOPE_SEND}}))
	if err != nil || !strings.HasPrefix(created.Msg.GetKey(), "tern_") {
		t.Fatalf("owner CreateApiKey = %v, %v", created, err)
	}
	id := created.Msg.GetApiKey().GetId()
	list, err := owner.admin.ListApiKeys(ctx, connect.NewRequest(&ternv1.ListApiKeysRequest{}))
	if err != nil || len(list.Msg.GetApiKeys()) != 1 || list.Msg.GetApiKeys()[0].GetTenantId() != "shop-1" {
		t.Fatalf("owner ListApiKeys = %v, %v", list, err)
	}
	_, err = viewer.admin.ListApiKeys(ctx, connect.NewRequest(&ternv1.ListApiKeysRequest{}))
	if connect.CodeOf(err) != connect.CodePermissionDenied || errText(err) != "the viewer role lacks the admin scope" {
		t.Fatalf("viewer ListApiKeys: %v", err)
	}
	if _, err := viewer.admin.RevokeApiKey(ctx, connect.NewRequest(&ternv1.RevokeApiKeyRequest{Id: id})); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("viewer RevokeApiKey: %v", err)
	}
	if _, err := owner.admin.RevokeApiKey(ctx, connect.NewRequest(&ternv1.RevokeApiKeyRequest{Id: id})); err != nil {
		t.Fatalf("owner RevokeApiKey: %v", err)
	}
	if _, err := owner.admin.CreateTenant(ctx, connect.NewRequest(&ternv1.CreateTenantRequest{Id: "shop-2"})); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("an owner created a tenant: %v", err)
	}
}

func TestLogoutEverywhere(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := newSessionFixture(t, ctx, false)
	laptop, phone, other := f.browser(t), f.browser(t), f.browser(t)
	laptop.login(t, ctx, "ana@shop.example", anaPassword)
	phone.login(t, ctx, "ana@shop.example", anaPassword)
	other.login(t, ctx, "vi@shop.example", viPassword)
	resp, err := phone.sessions.LogoutEverywhere(ctx, connect.NewRequest(&ternv1.LogoutEverywhereRequest{}))
	if err != nil || resp.Msg.GetEnded() != 2 {
		t.Fatalf("LogoutEverywhere = %v, %v; want 2 ended", resp, err)
	}
	for name, b := range map[string]*browser{"laptop": laptop, "phone": phone} {
		if _, err := b.sessions.Me(ctx, connect.NewRequest(&ternv1.MeRequest{})); connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Errorf("%s after logout everywhere: %v", name, err)
		}
	}
	if _, err := other.sessions.Me(ctx, connect.NewRequest(&ternv1.MeRequest{})); err != nil {
		t.Fatalf("another user's session ended too: %v", err)
	}
}

func TestLoginLimits(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	login := func(b *browser, email, pw string) error {
		_, err := b.sessions.Login(ctx, connect.NewRequest(&ternv1.LoginRequest{Email: email, Password: pw}))
		return err
	}
	// Per account: three failures lock it, for the right password too.
	f := newSessionFixture(t, ctx, false)
	b := f.browser(t)
	for range 3 {
		login(b, "ana@shop.example", "a wrong password")
	}
	err := login(b, "ana@shop.example", anaPassword)
	if connect.CodeOf(err) != connect.CodeResourceExhausted || !strings.HasPrefix(errText(err), "account locked after too many failed logins; try again after") {
		t.Fatalf("after 3 failures: %v", err)
	}
	if err := login(b, "vi@shop.example", viPassword); err != nil {
		t.Fatalf("another account is locked too: %v", err)
	}
	// Per address: a burst of 4, then a wait.
	f = newSessionFixture(t, ctx, false, WithLoginRate(1, 4))
	b = f.browser(t)
	for i := range 4 {
		if err := login(b, "vi@shop.example", viPassword); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	err = login(b, "vi@shop.example", viPassword)
	if connect.CodeOf(err) != connect.CodeResourceExhausted || !strings.HasPrefix(errText(err), "too many login attempts from this address; try again in") {
		t.Fatalf("fifth attempt: %v", err)
	}
	if err := login(b, "", viPassword); connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("over the limit, even bad input is refused first: %v", err)
	}
}

func TestLoginFieldErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := newSessionFixture(t, ctx, false)
	b := f.browser(t)
	for _, tt := range []struct {
		req  *ternv1.LoginRequest
		want string
	}{
		{&ternv1.LoginRequest{Password: "x"}, "email: required"},
		{&ternv1.LoginRequest{Email: "ana@shop.example"}, "password: required"},
	} {
		_, err := b.sessions.Login(ctx, connect.NewRequest(tt.req))
		if connect.CodeOf(err) != connect.CodeInvalidArgument || errText(err) != tt.want {
			t.Errorf("Login(%v) = %v, want %q", tt.req, err, tt.want)
		}
	}
}

func TestSessionCookieSecureUnderTLS(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := newSessionFixture(t, ctx, true)
	b := f.browser(t)
	if set := b.login(t, ctx, "ana@shop.example", anaPassword).Header().Get("Set-Cookie"); !strings.Contains(set, "; Secure") {
		t.Fatalf("Set-Cookie under TLS: %q", set)
	}
	resp, err := b.http.Get(f.srv.URL + "/send")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(out) != "dashboard /send" {
		t.Fatalf("GET /send = %q, want the web app", out)
	}
}

func TestRolesMatchProto(t *testing.T) {
	t.Parallel()
	for _, r := range []tenants.Role{tenants.RoleViewer, tenants.RoleMarketer, tenants.RoleAdmin, tenants.RoleOwner} {
		if got := ternv1.Role(r).String(); got != "ROLE_"+strings.ToUpper(r.String()) {
			t.Errorf("role %v is %s in the API", r, got)
		}
	}
}

// errText is a Connect error's message, without its code.
func errText(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Message()
	}
	return ""
}
