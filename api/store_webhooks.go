package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/tenants"
)

// StoreEvents takes store events in and keeps the platforms' secrets;
// storeevents.Tracker is one.
type StoreEvents interface {
	Track(ctx context.Context, events []commerce.Event, out []storeevents.Result) error
	Secrets(ctx context.Context, tenant, platform string) ([]string, error)
	SetSecret(ctx context.Context, tenant, platform, secret string, keepPrevious bool) error
}

// storeWebhookTimeout bounds a webhook's handling: platforms wait 5
// seconds for the answer before they count a delivery as failed.
const storeWebhookTimeout = 4 * time.Second

// platformHooks is how one platform signs, names and numbers its
// webhooks.
type platformHooks struct {
	name, signature, topic, id string
	parse                      func(topic string, body []byte) (commerce.Event, bool, error)
}

var (
	shopifyHooks = platformHooks{storeevents.Shopify, "X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Webhook-Id", commerce.ParseShopify}
	wooHooks     = platformHooks{storeevents.WooCommerce, "X-WC-Webhook-Signature", "X-WC-Webhook-Topic", "X-WC-Webhook-Delivery-ID", commerce.ParseWooCommerce}
)

// NewStoreWebhooks returns the handler of the store platforms' webhooks:
// POST /webhooks/shopify/{tenant} and POST /webhooks/woocommerce/{tenant}.
// A request is verified against the tenant's secret for the platform
// (base64 HMAC-SHA256 of the raw body, in constant time) before its body
// is parsed: a bad or missing signature is 401 and nothing is recorded.
// Malformed JSON is 400 with the reason. A verified event is on the
// store events topic before the 200; a redelivered webhook id records
// nothing new. Topics tern does not act on are acknowledged (200) and
// ignored, so the platform does not retry them.
func NewStoreWebhooks(ev StoreEvents, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/shopify/{tenant}", storeHook{ev: ev, p: shopifyHooks, log: log})
	mux.Handle("POST /webhooks/woocommerce/{tenant}", storeHook{ev: ev, p: wooHooks, log: log})
	return mux
}

type storeHook struct {
	ev  StoreEvents
	p   platformHooks
	log *slog.Logger
}

func (h storeHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), storeWebhookTimeout)
	defer cancel()
	tenant := r.PathValue("tenant")
	if tenants.ValidateID(tenant) != nil {
		hookAnswer(w, http.StatusNotFound, "error", "no such tenant")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, commerce.MaxPayload))
	if err != nil {
		hookAnswer(w, http.StatusRequestEntityTooLarge, "error", "body larger than 4 MiB or not read in time")
		return
	}
	secrets, err := h.ev.Secrets(ctx, tenant, h.p.name)
	switch {
	case errors.Is(err, storeevents.ErrNoSecret):
		hookAnswer(w, http.StatusUnauthorized, "error", "no "+h.p.name+" webhook secret is set for this tenant (EventService.SetStoreSecret)")
		return
	case err != nil:
		h.log.Warn("store webhook secrets", "tenant", tenant, "platform", h.p.name, "err", err)
		hookAnswer(w, http.StatusServiceUnavailable, "error", "unavailable; retry")
		return
	}
	if commerce.VerifyHMAC(body, r.Header.Get(h.p.signature), secrets...) != nil {
		h.log.Info("store webhook with a bad signature refused", "tenant", tenant, "platform", h.p.name)
		hookAnswer(w, http.StatusUnauthorized, "error", h.p.signature+" does not match the body under the tenant's secret")
		return
	}
	topic := r.Header.Get(h.p.topic)
	if h.p.name == storeevents.WooCommerce && topic == "" && strings.HasPrefix(string(body), "webhook_id=") {
		hookAnswer(w, http.StatusOK, "status", "ping acknowledged") // sent when the webhook is created
		return
	}
	h.accept(ctx, w, tenant, topic, r.Header.Get(h.p.id), body)
}

// accept parses a verified webhook and takes its event in.
func (h storeHook) accept(ctx context.Context, w http.ResponseWriter, tenant, topic, id string, body []byte) {
	if id == "" {
		hookAnswer(w, http.StatusBadRequest, "error", h.p.id+": required")
		return
	}
	e, ok, err := h.p.parse(topic, body)
	var fe *commerce.FieldError
	switch {
	case errors.Is(err, commerce.ErrTopic):
		hookAnswer(w, http.StatusOK, "status", "topic "+topic+" ignored")
		return
	case errors.As(err, &fe):
		hookAnswer(w, http.StatusBadRequest, "error", fe.Error())
		return
	case err != nil:
		hookAnswer(w, http.StatusBadRequest, "error", "unreadable payload")
		return
	case !ok:
		hookAnswer(w, http.StatusOK, "status", "nothing to act on")
		return
	}
	e.ID, e.Tenant = h.p.name+":"+id, tenant
	out := make([]storeevents.Result, 1)
	err = h.ev.Track(ctx, []commerce.Event{e}, out)
	if err == nil {
		err = out[0].Err
	}
	switch {
	case errors.As(err, &fe):
		hookAnswer(w, http.StatusBadRequest, "error", fe.Error())
	case err != nil:
		h.log.Warn("store webhook not taken in", "tenant", tenant, "platform", h.p.name, "err", err)
		hookAnswer(w, http.StatusServiceUnavailable, "error", "not recorded; retry")
	case out[0].Duplicate:
		hookAnswer(w, http.StatusOK, "status", "duplicate of "+out[0].ID)
	default:
		hookAnswer(w, http.StatusOK, "event_id", out[0].ID)
	}
}

// hookAnswer writes a one-field JSON answer.
func hookAnswer(w http.ResponseWriter, code int, key, value string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{key: value})
}
