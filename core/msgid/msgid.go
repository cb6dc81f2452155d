// Package msgid issues and checks tern's message ids.
//
// An id is a ULID (26 characters, Crockford base32, sortable by creation
// time) followed by an 8-character tag: a keyed MAC over the tenant and
// the ULID. The tag lets any instance holding the key tell, without a
// lookup, that it issued an id to a tenant — so GetMessage can answer
// STATUS_QUEUED for an id Send just returned, before any event about it
// has been recorded, and NotFound for an id it never issued. Ids are 34
// ASCII characters, inside SMPP's 64-character message_id.
package msgid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
)

// Len is the length of every id.
const Len = ulid.EncodedSize + tagLen

const tagLen = 8 // 40 bits of MAC in base32

// MinKeyLen is the shortest key NewIssuer accepts.
const MinKeyLen = 16

var (
	// ErrMalformed is returned for a string that is not shaped like an id.
	ErrMalformed = errors.New("malformed message id")
	// ErrForeign is returned for a well-formed id this key did not issue to this tenant.
	ErrForeign = errors.New("message id not issued to this tenant")
)

var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// Issuer makes and checks ids with one key. Instances that share a tenant's
// traffic must share the key. Safe for concurrent use.
type Issuer struct {
	key []byte
}

// NewIssuer returns an Issuer for key, which must be at least MinKeyLen bytes.
func NewIssuer(key []byte) (*Issuer, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("id key of %d bytes, want at least %d", len(key), MinKeyLen)
	}
	return &Issuer{key: append([]byte(nil), key...)}, nil
}

// New returns a fresh id for tenant, created at now.
func (is *Issuer) New(tenant string, now time.Time) string {
	u := ulid.MustNew(ulid.Timestamp(now), ulid.DefaultEntropy())
	var b [Len]byte
	_ = u.MarshalTextTo(b[:ulid.EncodedSize])
	is.tag(b[ulid.EncodedSize:], tenant, b[:ulid.EncodedSize])
	return string(b[:])
}

// Check reports whether id was issued to tenant under this key and
// returns its creation time.
func (is *Issuer) Check(tenant, id string) (time.Time, error) {
	if len(id) != Len {
		return time.Time{}, ErrMalformed
	}
	u, err := ulid.ParseStrict(id[:ulid.EncodedSize])
	if err != nil {
		return time.Time{}, ErrMalformed
	}
	var want [tagLen]byte
	is.tag(want[:], tenant, []byte(id[:ulid.EncodedSize]))
	if !hmac.Equal(want[:], []byte(id[ulid.EncodedSize:])) {
		return time.Time{}, ErrForeign
	}
	return ulid.Time(u.Time()), nil
}

// Floor returns the smallest id prefix of time t. Ids sort by creation
// time: every id created before t (to the millisecond) sorts below it,
// every one created at t or later above it.
func Floor(t time.Time) string {
	var u ulid.ULID
	if t.Before(time.UnixMilli(0)) {
		return u.String() // no id is older than the Unix epoch
	}
	if err := u.SetTime(ulid.Timestamp(t)); err != nil {
		// Past ULID's last millisecond, in the year 10889: every id's
		// first character is 0 to 7.
		return "8"
	}
	return u.String()
}

func (is *Issuer) tag(dst []byte, tenant string, u []byte) {
	m := hmac.New(sha256.New, is.key)
	m.Write([]byte(tenant))
	m.Write([]byte{0})
	m.Write(u)
	var sum [sha256.Size]byte
	crockford.Encode(dst, m.Sum(sum[:0])[:5])
}
