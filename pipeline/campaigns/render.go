package campaigns

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/core/tmpl"
	"github.com/ternsms/tern/pipeline/templates"
)

// Renderer makes the text of a single message from a stored template,
// from memory: a version is immutable and kept once read, and which
// version is the latest is read again after latestTTL. Safe for
// concurrent use.
type Renderer struct {
	s        *Store
	mu       sync.Mutex
	versions map[versionKey]templates.Template
	latest   map[versionKey]latestEntry // version 0 -> the latest's number
}

type versionKey struct {
	tenant, id string
	version    int
}

type latestEntry struct {
	version int
	at      time.Time
}

// latestTTL is how long "the latest version" is taken from memory.
const latestTTL = 5 * time.Second

// maxRendered bounds the versions kept; past it the cache starts again.
const maxRendered = 10_000

// NewRenderer returns a Renderer over s's templates.
func (s *Store) NewRenderer() *Renderer {
	return &Renderer{s: s, versions: map[versionKey]templates.Template{}, latest: map[versionKey]latestEntry{}}
}

// RenderTemplate returns the text of the tenant's template id at version
// (0: the latest) in language with values, with the tenant's opt-out
// footer for marketing; URLs stay as written. It also returns the
// template's category. A variable without a value or a fallback is a
// *FieldError naming "variables".
func (r *Renderer) RenderTemplate(ctx context.Context, tenant, id string, version int, language string, values map[string]string) (string, core.Category, error) {
	t, err := r.template(ctx, tenant, id, version)
	if err != nil {
		return "", 0, err
	}
	policy, _ := r.s.policy(tenant)
	msg, err := campaign.Compile(t.Spec(), policy, "", r.s.coding(tenant))
	if err != nil {
		return "", 0, err
	}
	if values == nil {
		values = map[string]string{}
	}
	out, err := msg.Render(language, values, nil)
	if errors.Is(err, tmpl.ErrMissing) || errors.Is(err, tmpl.ErrTooLong) {
		return "", 0, invalid("variables", err.Error())
	}
	if err != nil {
		return "", 0, fmt.Errorf("render template %s: %w", id, err)
	}
	return out.Text, t.Category, nil
}

// template returns a version from memory, reading it once.
func (r *Renderer) template(ctx context.Context, tenant, id string, version int) (templates.Template, error) {
	now := r.s.now()
	r.mu.Lock()
	if version == 0 {
		if l, ok := r.latest[versionKey{tenant, id, 0}]; ok && now.Sub(l.at) < latestTTL {
			version = l.version
		}
	}
	t, ok := r.versions[versionKey{tenant, id, version}]
	r.mu.Unlock()
	if ok && version != 0 {
		return t, nil
	}
	t, err := r.s.d.Templates.Get(ctx, tenant, id, version)
	if err != nil {
		return t, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.versions) >= maxRendered {
		r.versions, r.latest = map[versionKey]templates.Template{}, map[versionKey]latestEntry{}
	}
	r.versions[versionKey{tenant, id, t.Version}] = t
	if version == 0 {
		r.latest[versionKey{tenant, id, 0}] = latestEntry{version: t.Version, at: now}
	}
	return t, nil
}
