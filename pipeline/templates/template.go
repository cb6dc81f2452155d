package templates

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/tmpl"
	"github.com/ternsms/tern/pipeline"
)

// Limits on a template.
const (
	MaxName     = 200
	MaxVariants = 50
	MaxVars     = 100
	// MaxText bounds each text before rendering; rendered, a message
	// is at most pipeline.MaxBodyRunes.
	MaxText = pipeline.MaxBodyRunes
)

// Template is one version of a stored template.
type Template struct {
	ID       string
	Tenant   string
	Name     string
	Version  int
	Category core.Category
	// Body is the default text; Variants the texts by language.
	Body           string
	Variants       map[string]string
	Vars           []tmpl.Var
	Created        time.Time
	VersionCreated time.Time
}

// Spec is the version as core/campaign compiles it.
func (t Template) Spec() campaign.Spec {
	bodies := make(map[string]string, len(t.Variants)+1)
	for l, b := range t.Variants {
		bodies[l] = b
	}
	bodies[""] = t.Body
	return campaign.Spec{Bodies: bodies, Vars: t.Vars, Marketing: t.Category.Normalize() == core.CategoryMarketing}
}

// check normalizes t and returns its first problem, naming the field.
func check(t Template) (Template, error) {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || !utf8.ValidString(t.Name) || utf8.RuneCountInString(t.Name) > MaxName {
		return t, invalid("name", fmt.Sprintf("1 to %d characters of UTF-8", MaxName))
	}
	if t.Category > core.CategoryOTP {
		return t, invalid("category", "unknown category")
	}
	t.Category = t.Category.Normalize()
	if len(t.Variants) > MaxVariants {
		return t, invalid("variants", fmt.Sprintf("at most %d", MaxVariants))
	}
	texts := map[string]string{"body": t.Body}
	for l, b := range t.Variants {
		if l == "" || len(l) > 35 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return t, invalid("variants", "keys are language tags such as es or pt-BR")
		}
		texts["variants["+l+"]"] = b
	}
	for f, b := range texts {
		if strings.TrimSpace(b) == "" || !utf8.ValidString(b) || utf8.RuneCountInString(b) > MaxText {
			return t, invalid(f, fmt.Sprintf("1 to %d characters of UTF-8", MaxText))
		}
	}
	if len(t.Vars) > MaxVars {
		return t, invalid("variables", fmt.Sprintf("at most %d", MaxVars))
	}
	for _, v := range t.Vars {
		if v.MaxLen < 0 || v.MaxLen > MaxText {
			return t, invalid("variables", fmt.Sprintf("%q: max_length 0 to %d", v.Name, MaxText))
		}
	}
	if _, err := tmpl.New("", t.Vars); err != nil {
		return t, invalid("variables", err.Error())
	}
	if _, err := campaign.Compile(t.Spec(), consent.Policy{}, "", gsm.Options{}); err != nil {
		return t, templateError(err)
	}
	return t, nil
}

// templateError names the field of a compile error.
func templateError(err error) error {
	msg := strings.TrimPrefix(err.Error(), campaign.ErrTemplate.Error()+": ")
	field, reason, ok := strings.Cut(msg, ": ")
	if !ok || errors.Is(err, tmpl.ErrVar) {
		return invalid("variables", msg)
	}
	return invalid(field, reason)
}

// newID returns a template id: "tpl_" and 16 random base32 characters.
func newID() string {
	var b [10]byte
	rand.Read(b[:])
	return "tpl_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}
