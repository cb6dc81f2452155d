package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"google.golang.org/grpc"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// Sender queues messages; the pipeline's Intake is one.
type Sender interface {
	Send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error
}

// Reports answers status and analytics questions; analytics' Store is one.
type Reports interface {
	CampaignStats(ctx context.Context, tenantID, campaignID string) (analytics.CampaignStats, error)
	Message(ctx context.Context, tenantID, messageID string) (analytics.MessageView, error)
}

// IDChecker tells whether an id was issued to a tenant, and when; the
// msgid Issuer is one.
type IDChecker interface {
	Check(tenant, id string) (time.Time, error)
}

// Canceler withdraws messages no carrier has had yet; the pipeline's
// Canceler is one.
type Canceler interface {
	Cancel(ctx context.Context, tenantID, id string, created time.Time) error
}

// Deps are what the front door calls.
type Deps struct {
	Keys    Authorizer
	Sender  Sender
	Reports Reports
	IDs     IDChecker
	// Cancels serves Cancel; nil answers it Unimplemented.
	Cancels Canceler
	Log     *slog.Logger
	// ShiftTables returns the national language tables a tenant's
	// messages may use when a request names none; nil allows none.
	ShiftTables func(tenant string) gsm.Languages
	// Prices prices Estimate; nil leaves prices out.
	Prices *price.Table
	// Admin serves tern.v1.AdminService (NewAdminService); nil leaves it
	// unmounted.
	Admin ternv1connect.AdminServiceHandler
	// Analytics answers the analytics reports beyond GetCampaignStats;
	// nil answers them Unimplemented.
	Analytics AnalyticsReports
	// Hygiene serves RemoveSuppression; nil answers it Unimplemented.
	Hygiene HygieneClearer
	// Verify serves tern.v1.VerifyService (NewVerifyService); nil leaves
	// it unmounted.
	Verify ternv1connect.VerifyServiceHandler
	// Twilio serves the Twilio-compatible REST surface (api/twilio) under
	// /2010-04-01/ and /v2/, with its own authentication; nil leaves it
	// unmounted.
	Twilio http.Handler
	// Contacts, Templates and Campaigns serve their services; nil leaves
	// one unmounted. Links serves tracked links at LinkPrefix.
	Contacts  *ContactDeps
	Templates *TemplateDeps
	Campaigns *CampaignDeps
	Links     http.Handler
	// Renderer makes a SendRequest's text from a stored template; nil
	// answers such a request Unimplemented.
	Renderer TemplateRenderer
	// Events, Flows and Webhooks serve EventService (with the store
	// platforms' webhooks under /webhooks/), FlowService and
	// WebhookService; nil leaves each unmounted.
	Events   *EventDeps
	Flows    *FlowDeps
	Webhooks *WebhookDeps
	// Web serves the dashboard (api/web) at /; Sessions signs its users
	// in (SessionService) and resolves their session cookies. Nil leaves
	// each out.
	Web      http.Handler
	Sessions *Sessions
}

// NewHandler returns the HTTP handler serving every tern.v1 service over
// gRPC, gRPC-Web and Connect, plus gRPC health and reflection (both
// without authentication). A tern.v1 call without a known API key, or
// one its key's scopes do not allow, is refused before its body is read; messages are bounded by
// MaxRequestBytes, health and reflection requests by 64 KiB, both after
// decompression.
func NewHandler(d Deps) (http.Handler, error) {
	d, err := d.check()
	if err != nil {
		return nil, err
	}
	opts := connect.WithHandlerOptions(connect.WithReadMaxBytes(MaxRequestBytes), boundedGzip(MaxRequestBytes))
	mux := http.NewServeMux()
	path, h := ternv1connect.NewMessageServiceHandler(&messageService{d: d}, opts)
	mux.Handle(path, d.requireKey(h))
	path, h = ternv1connect.NewAnalyticsServiceHandler(&analyticsService{d: d}, opts)
	mux.Handle(path, d.requireKey(h))
	features := mountFeatures(mux, d, opts)
	probe := connect.WithHandlerOptions(connect.WithReadMaxBytes(maxProbeBytes), boundedGzip(maxProbeBytes))
	services := append([]string{ternv1connect.MessageServiceName, ternv1connect.AnalyticsServiceName}, features...)
	if d.Admin != nil {
		path, h = ternv1connect.NewAdminServiceHandler(d.Admin, opts)
		mux.Handle(path, d.requireKey(h))
		services = append(services, ternv1connect.AdminServiceName)
	}
	if d.Verify != nil {
		path, h = ternv1connect.NewVerifyServiceHandler(d.Verify, opts)
		mux.Handle(path, d.requireKey(h))
		services = append(services, ternv1connect.VerifyServiceName)
	}
	if d.Twilio != nil {
		mux.Handle("/2010-04-01/", d.Twilio)
		mux.Handle("/v2/", d.Twilio)
	}
	services = append(services, mountCampaigns(mux, d, opts)...)
	services = append(services, mountDashboard(mux, d, opts)...)
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(services...), probe))
	reflector := grpcreflect.NewStaticReflector(services...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector, probe))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, probe))
	return mux, nil
}

// check refuses Deps without a required part and fills in the defaults.
func (d Deps) check() (Deps, error) {
	if d.Keys == nil || d.Sender == nil || d.Reports == nil || d.IDs == nil {
		return d, errors.New("api: missing dependency")
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return d, nil
}

// Server serves a handler on one listener with HTTP/1.1 and HTTP/2:
// cleartext HTTP/2 (h2c), which gRPC needs, or with WithTLS HTTP/2 and
// HTTP/1.1 over TLS, chosen by ALPN.
type Server struct {
	srv     *http.Server
	workers *workers
	grpc    *grpc.Server
	tls     *tls.Config // nil: cleartext

	mu    sync.Mutex
	split *splitListener // set by Serve
	shut  bool           // set by Shutdown
	// splitTimeout is how long a connection may take to show its first
	// request to the splitter, TLS handshake included.
	splitTimeout time.Duration
}

// ServerOption configures a Server.
type ServerOption interface{ apply(*serverOptions) }

type serverOptions struct {
	workers     int
	grpc        *grpc.Server
	tls         *tls.Config
	readTimeout time.Duration
}

type serverOptionFunc func(*serverOptions)

func (f serverOptionFunc) apply(o *serverOptions) { f(o) }

// WithRequestWorkers sets how many long-lived goroutines run requests
// (default 1024; see workers). 0 runs every request on the goroutine the
// HTTP server starts for it, as a plain http.Server does.
func WithRequestWorkers(n int) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.workers = max(n, 0) })
}

// WithGRPC has g serve the connections whose first request is gRPC (see
// split.go); NewGRPCServer builds one for tern's services. h still serves
// every other connection, gRPC included.
func WithGRPC(g *grpc.Server) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.grpc = g })
}

// WithTLS serves TLS only, with cfg's certificates; the Server offers h2
// and http/1.1 by ALPN in place of cfg's NextProtos. Connections that
// choose h2 are split between grpc-go and net/http as cleartext ones are.
func WithTLS(cfg *tls.Config) ServerOption {
	return serverOptionFunc(func(o *serverOptions) {
		o.tls = cfg.Clone()
		o.tls.NextProtos = []string{"h2", "http/1.1"}
	})
}

// WithReadTimeout bounds how long a client may take to send one request,
// headers and body (default 30s); a request still coming after it is
// ended. 0 sets no bound. On a Server it applies to net/http, on
// NewGRPCServer to grpc-go's calls.
func WithReadTimeout(d time.Duration) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.readTimeout = max(d, 0) })
}

func newServerOptions(opts []ServerOption) serverOptions {
	o := serverOptions{workers: defaultWorkers, readTimeout: defaultReadTimeout}
	for _, opt := range opts {
		opt.apply(&o)
	}
	return o
}

// NewServer wraps h for serving.
func NewServer(h http.Handler, opts ...ServerOption) *Server {
	o := newServerOptions(opts)
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(o.tls != nil)
	p.SetUnencryptedHTTP2(true) // also what the splitter hands over from TLS
	s := &Server{srv: &http.Server{
		Handler:           h,
		Protocols:         &p,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       o.readTimeout,
		IdleTimeout:       2 * time.Minute,
	}}
	if o.workers > 0 {
		s.workers = newWorkers(h, o.workers)
		s.srv.Handler = s.workers
	}
	s.grpc, s.tls, s.splitTimeout = o.grpc, o.tls, splitTimeout
	return s
}

// Serve serves on ln until Shutdown. Call it once.
func (s *Server) Serve(ln net.Listener) error {
	switch {
	case s.grpc != nil:
		s.mu.Lock()
		if s.shut {
			s.mu.Unlock()
			ln.Close()
			return nil
		}
		sp := newSplitListener(ln, s.splitTimeout, s.tls, servesFirst(s.grpc))
		s.split = sp
		s.mu.Unlock()
		go sp.run()
		go s.grpc.Serve(sp.grpc)
		ln = sp.http
	case s.tls != nil:
		// net/http does the handshake and serves h2 or HTTP/1.1 by ALPN.
		ln = tls.NewListener(ln, s.tls)
	}
	if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}

// Shutdown stops accepting calls and waits for those in progress until ctx
// ends, and then for the goroutines that ran them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shut = true
	if s.split != nil {
		s.split.Close()
	}
	s.mu.Unlock()
	var grpcDone chan struct{}
	if s.grpc != nil {
		grpcDone = make(chan struct{})
		go func() { s.grpc.GracefulStop(); close(grpcDone) }()
	}
	err := s.srv.Shutdown(ctx)
	if grpcDone != nil {
		select {
		case <-grpcDone:
		case <-ctx.Done():
			s.grpc.Stop() // ends the calls still running
			<-grpcDone
			if err == nil {
				err = ctx.Err()
			}
		}
	}
	if s.workers == nil {
		return err
	}
	// Idle workers stop now, busy ones after their request.
	s.workers.close()
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { s.workers.wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
