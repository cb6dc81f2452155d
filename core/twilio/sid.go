package twilio

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/oklog/ulid/v2"
)

// SID prefixes of the resources the surface serves.
const (
	PrefixAccount          = "AC"
	PrefixMessage          = "SM"
	PrefixVerifyService    = "VA"
	PrefixVerification     = "VE"
	PrefixMessagingService = "MG"
)

// NewSID returns a fresh SID: prefix and 32 lower-case hex digits of
// crypto/rand.
func NewSID(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// ValidSID tells whether s is prefix and 32 lower-case hex digits.
func ValidSID(prefix, s string) bool {
	if len(s) != len(prefix)+32 || !strings.HasPrefix(s, prefix) {
		return false
	}
	for _, c := range s[len(prefix):] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// MessageSID is the SID of tern message id: "SM" and the 32 hex digits
// of the id's ULID (its first 26 characters), so it sorts by creation
// time as the id does. ok is false for a string that is no message id.
func MessageSID(id string) (string, bool) {
	if len(id) < ulid.EncodedSize {
		return "", false
	}
	u, err := ulid.ParseStrict(id[:ulid.EncodedSize])
	if err != nil {
		return "", false
	}
	return PrefixMessage + hex.EncodeToString(u[:]), true
}
