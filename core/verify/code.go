package verify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
)

// Code lengths a verification may ask for.
const (
	MinCodeLength     = 4
	MaxCodeLength     = 10
	DefaultCodeLength = 6
)

// Keys derive and hash codes. Codes are derived, never stored: a
// verification's code is HMAC-SHA-256 under the code key over the
// tenant and the verification id (whose 128 random bits come from
// crypto/rand), read as a number below 10^length by rejection sampling,
// so every code is equally likely. A resend within the verification's
// validity derives the same code again, and PostgreSQL holds only the
// keyed hash the check compares against. Every instance must use the
// same secret. Safe for concurrent use.
type Keys struct {
	code, hash []byte
}

// NewKeys returns the Keys of a deployment secret: two subkeys of it
// under distinct labels, so the secret itself serves no two purposes.
func NewKeys(secret []byte) Keys {
	return Keys{code: subkey(secret, "tern verify code v1"), hash: subkey(secret, "tern verify hash v1")}
}

func subkey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Code returns the code of verification id of tenant: length decimal
// digits, uniform over all 10^length of them.
func (k Keys) Code(tenant, id string, length int) string {
	length = min(max(length, MinCodeLength), MaxCodeLength)
	mod := uint64(1)
	for range length {
		mod *= 10
	}
	limit := (^uint64(0) / mod) * mod // values at or above it would bias the low codes
	for counter := uint32(0); ; counter++ {
		m := hmac.New(sha256.New, k.code)
		m.Write([]byte(tenant))
		m.Write([]byte{0})
		m.Write([]byte(id))
		var c [5]byte
		c[0] = byte(length)
		binary.BigEndian.PutUint32(c[1:], counter)
		m.Write(c[:])
		sum := m.Sum(nil)
		for i := 0; i+8 <= len(sum); i += 8 {
			if n := binary.BigEndian.Uint64(sum[i:]); n < limit {
				s := strconv.FormatUint(n%mod, 10)
				return strings.Repeat("0", length-len(s)) + s
			}
		}
	}
}

// Hash returns the keyed hash kept for code: HMAC-SHA-256 under the hash
// key over the verification's salt and the code.
func (k Keys) Hash(salt []byte, code string) []byte {
	m := hmac.New(sha256.New, k.hash)
	m.Write(salt)
	m.Write([]byte(code))
	return m.Sum(nil)
}

// Match tells whether code is the one whose hash is stored, comparing
// in constant time.
func (k Keys) Match(salt []byte, code string, stored []byte) bool {
	return hmac.Equal(k.Hash(salt, code), stored)
}

// NewSalt returns a verification's salt: 16 bytes from crypto/rand.
func NewSalt() []byte {
	b := make([]byte, 16)
	rand.Read(b)
	return b
}

// NewID returns a fresh verification id: "VE" and 32 hex digits of
// crypto/rand, the form of a Twilio Verification SID.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "VE" + hex.EncodeToString(b)
}

// ValidID tells whether id has the form NewID gives.
func ValidID(id string) bool {
	if len(id) != 34 || !strings.HasPrefix(id, "VE") {
		return false
	}
	_, err := hex.DecodeString(id[2:])
	return err == nil && strings.ToLower(id[2:]) == id[2:]
}

// CheckCode reports why code cannot be any verification's code: 4 to 10
// decimal digits.
func CheckCode(code string) error {
	if len(code) < MinCodeLength || len(code) > MaxCodeLength {
		return invalid("code", "4 to 10 digits")
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return invalid("code", "digits only")
		}
	}
	return nil
}
