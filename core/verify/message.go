package verify

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ternsms/tern/core/gsm"
)

// templates are the message texts by language. Each fits one GSM-7 part
// with a brand of up to 20 characters, a 10-digit code, an app hash and
// a WebOTP line of a 30-character domain (TestMessagesFitOnePart); the
// national shift tables of Shift keep Spanish and Portuguese GSM-7.
var templates = map[string]string{
	"en": "{brand}: your verification code is {code}. Valid for {minutes} min. Don't share it.",
	"es": "{brand}: tu código de verificación es {code}. Válido {minutes} min. No lo compartas.",
	"fr": "{brand} : votre code de vérification est {code}. Valable {minutes} min. Ne le partagez pas.",
	"de": "{brand}: Ihr Bestätigungscode lautet {code}. Gültig {minutes} Min. Nicht weitergeben.",
	"pt": "{brand}: seu código de verificação é {code}. Válido por {minutes} min. Não compartilhe.",
	"it": "{brand}: il tuo codice di verifica è {code}. Valido {minutes} min. Non condividerlo.",
	"nl": "{brand}: je verificatiecode is {code}. Geldig {minutes} min. Deel hem met niemand.",
}

// Locales lists the languages messages are written in, sorted.
func Locales() []string {
	out := make([]string, 0, len(templates))
	for l := range templates {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// Language returns the language of a locale such as "pt-BR" or "es_MX"
// ("pt", "es"), and whether messages are written in it.
func Language(locale string) (string, bool) {
	l := strings.ToLower(strings.TrimSpace(locale))
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	_, ok := templates[l]
	return l, ok
}

// Supported tells whether messages are written in locale's language.
func Supported(locale string) bool {
	_, ok := Language(locale)
	return ok
}

// Shift returns the national language shift tables a message in
// language may use.
func Shift(language string) gsm.Languages {
	switch language {
	case "es":
		return gsm.LanguagesOf(gsm.Spanish)
	case "pt":
		return gsm.LanguagesOf(gsm.Portuguese)
	}
	return 0
}

// Message is a code's text before rendering.
type Message struct {
	Language string
	Brand    string
	Code     string
	// Validity is how long the code stays valid; the text gives it in
	// whole minutes, rounded up.
	Validity time.Duration
	// Domain and AppHash as in Policy.
	Domain  string
	AppHash string
}

// Render returns the message text: the language's template, then the
// app hash on a line of its own when set, then the WebOTP line
// "@domain #code" when a domain is set. WebOTP needs its line last; the
// SMS Retriever finds the hash anywhere in the text.
func Render(m Message) string {
	t, ok := templates[m.Language]
	if !ok {
		t = templates[DefaultLocale]
	}
	minutes := int((m.Validity + time.Minute - 1) / time.Minute)
	text := strings.NewReplacer("{brand}", m.Brand, "{code}", m.Code, "{minutes}", strconv.Itoa(max(minutes, 1))).Replace(t)
	if m.Brand == "" {
		text = strings.TrimLeft(strings.TrimPrefix(text, ":"), " :")
		text = strings.ToUpper(text[:1]) + text[1:]
	}
	if m.AppHash != "" {
		text += "\n" + m.AppHash
	}
	if m.Domain != "" {
		text += "\n@" + m.Domain + " #" + m.Code
	}
	return text
}
