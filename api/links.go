package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ternsms/tern/pipeline/campaigns"
)

// LinkResolver resolves tracked links' codes; campaigns.Links is one.
type LinkResolver interface {
	Resolve(ctx context.Context, code string) (campaigns.Target, error)
}

// ClickRecorder records clicks without making the redirect wait;
// campaigns.Clicks is one.
type ClickRecorder interface {
	Record(t campaigns.Target, code string, at time.Time, userAgent string)
}

// LinkPrefix is the path tracked links are served under.
const LinkPrefix = "/l/"

// NewLinkHandler serves tracked links: GET LinkPrefix+code answers 302
// to the URL the code stands for, one of its campaign's own URLs and
// never another, and records the click; a code no campaign made gets
// 404. HEAD answers the same without recording a click (link previews
// are no clicks). Nothing is read from the request but its path and
// User-Agent.
func NewLinkHandler(r LinkResolver, clicks ClickRecorder, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return &linkHandler{r: r, clicks: clicks, log: log}
}

type linkHandler struct {
	r      LinkResolver
	clicks ClickRecorder
	log    *slog.Logger
}

func (h *linkHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	code, ok := strings.CutPrefix(req.URL.Path, LinkPrefix)
	if !ok {
		http.NotFound(w, req)
		return
	}
	t, err := h.r.Resolve(req.Context(), code)
	if errors.Is(err, campaigns.ErrLinkNotFound) {
		http.NotFound(w, req)
		return
	}
	if err != nil {
		h.log.Warn("link lookup", "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	if req.Method == http.MethodGet && h.clicks != nil {
		h.clicks.Record(t, code, time.Now(), req.UserAgent())
	}
	hd := w.Header()
	hd.Set("Location", t.URL)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
}
