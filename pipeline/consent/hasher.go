package consent

import (
	"crypto/hmac"
	"crypto/sha256"
)

// Key identifies one number of one tenant without the number: the first
// 16 bytes of HMAC-SHA-256 over the tenant id, a zero byte and the E.164
// number.
type Key [16]byte

// Hasher computes Keys. Every instance must use the same secret (tern
// derives it from the message id key); with another secret, every
// number's key changes. Safe for concurrent use.
type Hasher struct {
	sub        []byte
	ipad, opad [sha256.BlockSize]byte
}

// maxInline is the longest tenant id and number Key hashes without
// allocating; longer ones take crypto/hmac.
const maxInline = 128

// NewHasher returns a Hasher keyed by a subkey of secret, so that the
// secret itself is never used for two purposes.
func NewHasher(secret []byte) *Hasher {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tern consent key v1"))
	h := &Hasher{sub: m.Sum(nil)}
	for i := range h.ipad {
		h.ipad[i], h.opad[i] = 0x36, 0x5c
	}
	for i, b := range h.sub { // 32 bytes: shorter than a block, used as is
		h.ipad[i] ^= b
		h.opad[i] ^= b
	}
	return h
}

// Key returns the key of number (E.164) for tenant. It is HMAC-SHA-256
// written out (RFC 2104) over buffers on the stack: the hot path calls it
// once per message.
func (h *Hasher) Key(tenant, number string) Key {
	n := len(tenant) + 1 + len(number)
	if n > maxInline {
		m := hmac.New(sha256.New, h.sub)
		m.Write([]byte(tenant))
		m.Write([]byte{0})
		m.Write([]byte(number))
		return Key(m.Sum(nil)[:16])
	}
	var in [sha256.BlockSize + maxInline]byte
	copy(in[:], h.ipad[:])
	copy(in[sha256.BlockSize:], tenant)
	in[sha256.BlockSize+len(tenant)] = 0
	copy(in[sha256.BlockSize+len(tenant)+1:], number)
	inner := sha256.Sum256(in[:sha256.BlockSize+n])
	var out [sha256.BlockSize + sha256.Size]byte
	copy(out[:], h.opad[:])
	copy(out[sha256.BlockSize:], inner[:])
	sum := sha256.Sum256(out[:])
	return Key(sum[:16])
}
