package link

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"strings"
)

// CodeLen is the length of every code.
const CodeLen = 10

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// space is 62^CodeLen, the number of codes.
const space = 839299365868340224

// Coder derives codes under one secret. Safe for concurrent use.
type Coder struct {
	key []byte
}

// NewCoder returns a Coder keyed by a subkey of secret, so that the
// secret itself serves no second purpose.
func NewCoder(secret []byte) *Coder {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tern link code v1"))
	return &Coder{key: m.Sum(nil)}
}

// Code returns the code of link index of campaign for contact, at
// attempt (0 first; the next when the code is taken by another).
func (c *Coder) Code(campaign string, contact int64, index, attempt int) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(campaign))
	var b [8 + 4 + 4]byte
	binary.BigEndian.PutUint64(b[:8], uint64(contact))
	binary.BigEndian.PutUint32(b[8:12], uint32(index))
	binary.BigEndian.PutUint32(b[12:], uint32(attempt))
	m.Write([]byte{0})
	m.Write(b[:])
	n := binary.BigEndian.Uint64(m.Sum(nil)[:8]) % space
	var out [CodeLen]byte
	for i := CodeLen - 1; i >= 0; i-- {
		out[i] = alphabet[n%62]
		n /= 62
	}
	return string(out[:])
}

// Valid tells whether s has the form of a code, so that junk is refused
// before any lookup.
func Valid(s string) bool {
	if len(s) != CodeLen {
		return false
	}
	for i := range len(s) {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Short returns the short URL of code under base (e.g.
// "https://t.example/l/"); a base without a trailing slash gets one.
func Short(base, code string) string {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + code
}

// Placeholder is the template variable that stands for link index i in a
// text whose URLs Replace took out.
func Placeholder(i int) string { return "_link." + strconv.Itoa(i) }

// IsPlaceholder tells whether a variable name is reserved for links.
func IsPlaceholder(name string) bool { return strings.HasPrefix(name, "_link.") }
