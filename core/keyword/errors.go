package keyword

import "errors"

var (
	// ErrConflict is returned by New when one word or phrase is given two
	// intents.
	ErrConflict = errors.New("keyword has two intents")
	// ErrLanguage is returned by New for a language without a built-in set.
	ErrLanguage = errors.New("unknown keyword language")
	// ErrEmpty is returned by New for a keyword that is empty once
	// normalized.
	ErrEmpty = errors.New("empty keyword")
)
