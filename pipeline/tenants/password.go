package tenants

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new password hashes (RFC 9106, OWASP's
// recommendation of 19 MiB, 2 passes, 1 lane). A hash keeps its own
// parameters, so raising them later leaves old hashes verifiable.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// Password limits: long enough to resist guessing once hashed, short
// enough that hashing one costs a bounded amount of work.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

var b64 = base64.RawStdEncoding

// checkPassword reports why p cannot be a dashboard password.
func checkPassword(p string) error {
	switch {
	case len(p) < MinPasswordLen:
		return invalid("password", fmt.Sprintf("at least %d characters", MinPasswordLen))
	case len(p) > MaxPasswordLen:
		return invalid("password", fmt.Sprintf("at most %d bytes", MaxPasswordLen))
	}
	return nil
}

// hashPassword returns p's argon2id hash in the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH.
func hashPassword(p string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(p), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("password hash not in argon2id PHC form")

// verifyPassword tells whether p matches hash, in time independent of
// where they differ.
func verifyPassword(hash, p string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errBadHash
	}
	var mem, passes uint32
	var lanes uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &lanes); err != nil || mem == 0 || passes == 0 || lanes == 0 {
		return false, errBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(p), salt, passes, mem, lanes, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when no user matches, so that an
// unknown email takes as long to refuse as a wrong password.
var dummyHash = hashPassword("tern-no-such-user-password")
