package keyword

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Config selects and extends the built-in sets for one tenant. The zero
// value is every built-in language with no change.
type Config struct {
	// Languages are the built-in sets to use, by ISO 639-1 code ("en",
	// "es", "fr", "de"); empty means all of them.
	Languages []string `json:"languages,omitempty"`
	// OptOut, OptIn and Help are extra words or phrases.
	OptOut []string `json:"opt_out,omitempty"`
	OptIn  []string `json:"opt_in,omitempty"`
	Help   []string `json:"help,omitempty"`
	// Confirm are extra opt-in words that also answer a question with
	// yes (Result.Confirms).
	Confirm []string `json:"confirm,omitempty"`
	// Remove drops built-in words or phrases (e.g. "yes" for a tenant
	// whose customers answer surveys with it).
	Remove []string `json:"remove,omitempty"`
}

// Result is the classification of one text.
type Result struct {
	Intent Intent
	// Keyword is the normalized word or phrase that matched; "" for None.
	Keyword string
	// Language is the ISO 639-1 code of the set it came from, "" for a
	// tenant's own word.
	Language string
	// Confirms is set for the opt-in words that say yes to a question
	// (Y, YES, SÍ, OUI, JA): they confirm a pending double opt-in, where
	// START or SUBSCRIBE do not.
	Confirms bool
}

// Classifier classifies inbound texts. It is immutable and safe for
// concurrent use.
type Classifier struct {
	words   map[string]Result
	fillers []string
}

// New builds a classifier from cfg.
func New(cfg Config) (*Classifier, error) {
	langs := cfg.Languages
	if len(langs) == 0 {
		langs = []string{"en", "es", "fr", "de"}
	}
	c := &Classifier{words: map[string]Result{}}
	removed := map[string]bool{}
	for _, w := range cfg.Remove {
		removed[normalize(w)] = true
	}
	add := func(w string, r Result) error {
		k := normalize(w)
		if k == "" {
			return fmt.Errorf("%q: %w", w, ErrEmpty)
		}
		if removed[k] {
			return nil
		}
		if old, ok := c.words[k]; ok && old.Intent != r.Intent {
			return fmt.Errorf("%q is %v (%s) and %v (%s): %w", k, old.Intent, old.Language, r.Intent, r.Language, ErrConflict)
		}
		if _, ok := c.words[k]; !ok {
			r.Keyword = k
			c.words[k] = r
		}
		return nil
	}
	for _, l := range langs {
		s, ok := builtin[strings.ToLower(l)]
		if !ok {
			return nil, fmt.Errorf("%q: %w", l, ErrLanguage)
		}
		l = strings.ToLower(l)
		for _, group := range []struct {
			words   []string
			intent  Intent
			confirm bool
		}{{s.optOut, OptOut, false}, {s.confirm, OptIn, true}, {s.optIn, OptIn, false}, {s.help, Help, false}} {
			for _, w := range group.words {
				if err := add(w, Result{Intent: group.intent, Language: l, Confirms: group.confirm}); err != nil {
					return nil, err
				}
			}
		}
		for _, f := range s.fillers {
			c.fillers = append(c.fillers, normalize(f))
		}
	}
	// English words every set relies on (STOP, START, HELP, INFO are
	// understood in every market) stay even when English is not chosen.
	if !slices.Contains(langs, "en") {
		for w, i := range map[string]Intent{"stop": OptOut, "start": OptIn, "help": Help, "info": Help} {
			if err := add(w, Result{Intent: i, Language: "en"}); err != nil {
				return nil, err
			}
		}
	}
	for _, group := range []struct {
		words   []string
		intent  Intent
		confirm bool
	}{{cfg.OptOut, OptOut, false}, {cfg.Confirm, OptIn, true}, {cfg.OptIn, OptIn, false}, {cfg.Help, Help, false}} {
		for _, w := range group.words {
			if err := add(w, Result{Intent: group.intent, Confirms: group.confirm}); err != nil {
				return nil, err
			}
		}
	}
	// Longest fillers first, so "thank you" goes before "thank".
	slices.SortFunc(c.fillers, func(a, b string) int { return len(b) - len(a) })
	c.fillers = slices.Compact(c.fillers)
	return c, nil
}

var defaultClassifier = sync.OnceValue(func() *Classifier {
	c, err := New(Config{})
	if err != nil {
		panic("keyword: built-in sets conflict: " + err.Error())
	}
	return c
})

// Default returns the classifier of every built-in language.
func Default() *Classifier { return defaultClassifier() }

// Classify classifies text with the built-in sets.
func Classify(text string) Result { return Default().Classify(text) }

// Classify returns what text asks for.
func (c *Classifier) Classify(text string) Result {
	if len(text) > 160 {
		return Result{} // a long message is a conversation, not a keyword
	}
	s := normalize(text)
	if r, ok := c.words[s]; ok {
		return r
	}
	s = c.trimFillers(s)
	if r, ok := c.words[s]; ok {
		return r
	}
	// The same word repeated: "stop stop stop".
	if words := strings.Fields(s); len(words) > 1 {
		if r, ok := c.words[words[0]]; ok && !slices.ContainsFunc(words, func(w string) bool { return w != words[0] }) {
			return r
		}
	}
	return Result{}
}

// trimFillers drops polite words from both ends of s.
func (c *Classifier) trimFillers(s string) string {
	for changed := true; changed && s != ""; {
		changed = false
		for _, f := range c.fillers {
			if s == f {
				return s
			}
			if rest, ok := strings.CutPrefix(s, f+" "); ok {
				s, changed = rest, true
			}
			if rest, ok := strings.CutSuffix(s, " "+f); ok {
				s, changed = rest, true
			}
		}
	}
	return s
}

// normalize lower-cases s, folds accents, drops apostrophes and turns
// every other run of non-letters and non-digits into one space.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\'' || r == '’' || r == '‘' || r == 'ʼ':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteString(fold(unicode.ToLower(r)))
		default:
			space = true
		}
	}
	return b.String()
}

// fold removes the accents of Latin letters the built-in languages use.
func fold(r rune) string {
	switch r {
	case 'á', 'à', 'â', 'ä', 'ã', 'å':
		return "a"
	case 'é', 'è', 'ê', 'ë':
		return "e"
	case 'í', 'ì', 'î', 'ï':
		return "i"
	case 'ó', 'ò', 'ô', 'ö', 'õ':
		return "o"
	case 'ú', 'ù', 'û', 'ü':
		return "u"
	case 'ç':
		return "c"
	case 'ñ':
		return "n"
	case 'ß':
		return "ss"
	case 'œ':
		return "oe"
	}
	return string(r)
}
