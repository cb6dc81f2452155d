package gateway

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Password hashing limits.
const (
	// DefaultPasswordIterations is the PBKDF2-HMAC-SHA256 work factor of
	// new hashes. A stored hash with fewer is rehashed at the store's
	// work factor on its account's next good bind.
	DefaultPasswordIterations = 600_000
	// MinPasswordIterations is the lowest work factor a Store takes
	// (WithPasswordIterations); anything near it is for tests only.
	MinPasswordIterations = 1000
	// maxPasswordIterations bounds the work a stored hash may ask for.
	maxPasswordIterations = 10_000_000
)

// Password length limits.
const (
	// MaxPasswordLen is the longest password SMPP 3.4 carries in a bind.
	MaxPasswordLen = 8
	// MinPasswordLen is the shortest password an account may be given.
	MinPasswordLen = 6
)

// HashPassword returns the stored form of password at
// DefaultPasswordIterations: pbkdf2-sha256$ITERATIONS$SALT$KEY, salt and
// key in unpadded base64.
func HashPassword(password string) (string, error) {
	return hashPassword(password, DefaultPasswordIterations)
}

func hashPassword(password string, iterations int) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return formatHash(iterations, salt, key), nil
}

func formatHash(iterations int, salt, key []byte) string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", iterations, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// dummyHash is a hash of the given work factor that no password matches:
// checking a password against it costs what checking against a real one
// of that work factor costs.
func dummyHash(iterations int) string {
	salt, key := make([]byte, 16), make([]byte, 32)
	rand.Read(salt)
	rand.Read(key)
	return formatHash(iterations, salt, key)
}

// parseHash reads a stored hash.
func parseHash(hash string) (iterations int, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return 0, nil, nil, ErrBadHash
	}
	iterations, err = strconv.Atoi(parts[1])
	if err != nil || iterations < 1 || iterations > maxPasswordIterations {
		return 0, nil, nil, ErrBadHash
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	key, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return 0, nil, nil, ErrBadHash
	}
	return iterations, salt, key, nil
}

// hashIterations returns a stored hash's work factor, 0 when it cannot be
// read.
func hashIterations(hash string) int {
	iterations, _, _, err := parseHash(hash)
	if err != nil {
		return 0
	}
	return iterations
}

// checkPassword reports whether password matches hash.
func checkPassword(hash, password string) (bool, error) {
	iterations, salt, want, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iterations, len(want))
	if err != nil {
		return false, fmt.Errorf("check password: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// ValidatePassword reports a password an account may not be given: one
// shorter than MinPasswordLen, or longer than a bind carries.
func ValidatePassword(password string) error {
	if n := len(password); n < MinPasswordLen || n > MaxPasswordLen {
		return fmt.Errorf("%w: password: %d characters, want %d to %d", ErrInvalidAccount, n, MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// NewPassword returns a random password of MaxPasswordLen letters and
// digits, the most a bind can carry.
func NewPassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, MaxPasswordLen)
	for i := range b {
		b[i] = alphabet[randIntn(len(alphabet))]
	}
	return string(b)
}

// randIntn returns a uniform random number in [0, n), n ≤ 256, from
// crypto/rand.
func randIntn(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}
