package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	tw "github.com/ternsms/tern/core/twilio"
	twstore "github.com/ternsms/tern/pipeline/twilio"
	verifysvc "github.com/ternsms/tern/pipeline/verify"
)

// Accounts authenticates account SIDs and tokens; pipeline/twilio's
// Store is one.
type Accounts interface {
	Authenticate(ctx context.Context, sid, token string) (twstore.Account, error)
}

// Messages sends and keeps the surface's messages; pipeline/twilio's
// Store is one.
type Messages interface {
	Send(ctx context.Context, in twstore.Intake, a twstore.Account, o twstore.Outgoing) (twstore.Message, error)
	Message(ctx context.Context, account, sid string) (twstore.Message, error)
	List(ctx context.Context, q twstore.ListQuery) ([]twstore.Message, bool, error)
	Cancel(ctx context.Context, q twstore.CallbackQueue, account, sid string) (twstore.Message, error)
}

// Canceler withdraws messages no carrier has had yet; the pipeline's
// Canceler is one.
type Canceler interface {
	Cancel(ctx context.Context, tenantID, id string, created time.Time) error
}

// IDChecker tells when an id was issued to a tenant; the msgid Issuer is
// one.
type IDChecker interface {
	Check(tenant, id string) (time.Time, error)
}

// Verifier starts, checks, cancels and reads verifications;
// pipeline/verify's Service is one.
type Verifier interface {
	Start(ctx context.Context, r verifysvc.StartRequest) (verifysvc.Started, error)
	Check(ctx context.Context, r verifysvc.CheckRequest) (verifysvc.Checked, error)
	Cancel(ctx context.Context, tenant, id string) (verifysvc.Verification, error)
	Get(ctx context.Context, tenant, id string) (verifysvc.Verification, error)
}

// Deps are what the surface calls.
type Deps struct {
	Accounts Accounts
	Messages Messages
	// Intake queues the messages.
	Intake twstore.Intake
	// Callbacks takes the status callback of a cancel.
	Callbacks twstore.CallbackQueue
	Cancels   Canceler
	IDs       IDChecker
	// Verify serves Verify v2; nil answers it 20404.
	Verify Verifier
	Log    *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// MaxFormBytes bounds a request's form.
const MaxFormBytes = 64 << 10

type handler struct {
	d Deps
}

// New returns the surface's handler. Mount it at "/2010-04-01/" and
// "/v2/".
func New(d Deps) (http.Handler, error) {
	if d.Accounts == nil || d.Messages == nil || d.Intake == nil || d.Callbacks == nil || d.Cancels == nil || d.IDs == nil {
		return nil, errors.New("api/twilio: missing dependency")
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	h := &handler{d: d}
	mux := http.NewServeMux()
	const msgs = "/2010-04-01/Accounts/{AccountSid}/Messages"
	mux.Handle("POST "+msgs+".json", h.auth(h.createMessage))
	mux.Handle("GET "+msgs+".json", h.auth(h.listMessages))
	mux.Handle("GET "+msgs+"/{Sid}", h.auth(h.fetchMessage))
	mux.Handle("POST "+msgs+"/{Sid}", h.auth(h.updateMessage))
	mux.Handle("DELETE "+msgs+"/{Sid}", h.auth(func(w http.ResponseWriter, _ *http.Request, _ twstore.Account) {
		writeError(w, tw.NewError(tw.CodeMethodNotAllowed, "Method not allowed: deleting messages is not supported"))
	}))
	const svc = "/v2/Services/{ServiceSid}"
	mux.Handle("POST "+svc+"/Verifications", h.auth(h.startVerification))
	mux.Handle("GET "+svc+"/Verifications/{Sid}", h.auth(h.fetchVerification))
	mux.Handle("POST "+svc+"/Verifications/{Sid}", h.auth(h.updateVerification))
	mux.Handle("POST "+svc+"/VerificationCheck", h.auth(h.checkVerification))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, tw.NewError(tw.CodeNotFound, "The requested resource "+r.URL.Path+" was not found"))
	})
	return mux, nil
}

type accountKey struct{}

// auth authenticates a call with HTTP Basic (account SID, auth token)
// before reading its form, and refuses a path naming another account.
func (h *handler) auth(next func(http.ResponseWriter, *http.Request, twstore.Account)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid, token, ok := r.BasicAuth()
		if !ok {
			writeError(w, tw.NewError(tw.CodeAuthenticate, "Authenticate: send HTTP Basic credentials (account SID and auth token)"))
			return
		}
		a, err := h.d.Accounts.Authenticate(r.Context(), sid, token)
		if errors.Is(err, twstore.ErrAuth) {
			writeError(w, tw.NewError(tw.CodeAuthenticate, "Authenticate: unknown account SID or wrong auth token"))
			return
		}
		if err != nil {
			h.internal(w, err)
			return
		}
		if p := r.PathValue("AccountSid"); p != "" && p != a.SID {
			writeError(w, tw.NewError(tw.CodeAuthenticate, "Authenticate: the path names another account"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
		if err := r.ParseForm(); err != nil {
			writeError(w, tw.NewError(tw.CodeUnknownParameter, "request body: not a form of at most 64 KiB"))
			return
		}
		next(w, r, a)
	})
}

func (h *handler) internal(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		writeError(w, tw.NewError(tw.CodeUnavailable, "Service unavailable: the request ran out of time; retry"))
		return
	}
	h.d.Log.Error("twilio surface", "err", err)
	writeError(w, tw.NewError(tw.CodeInternal, "Internal error"))
}

func writeError(w http.ResponseWriter, e *tw.Error) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
	}
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// sidParam is a path's {Sid} without the ".json" Twilio paths end with.
func sidParam(r *http.Request) string { return strings.TrimSuffix(r.PathValue("Sid"), ".json") }
