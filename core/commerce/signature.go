package commerce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// VerifyHMAC checks a Shopify (X-Shopify-Hmac-Sha256) or WooCommerce
// (X-WC-Webhook-Signature) signature: the base64 HMAC-SHA256 of the raw
// body under the store's secret. It compares in constant time and
// accepts the body under any of secrets (an old and a new one during a
// rotation). It returns ErrSignature when none matches.
func VerifyHMAC(body []byte, header string, secrets ...string) error {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if err != nil || len(got) != sha256.Size {
		return ErrSignature
	}
	ok := false
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if hmac.Equal(got, SignHMAC(body, s)) {
			ok = true // no early return: each secret costs the same
		}
	}
	if !ok {
		return ErrSignature
	}
	return nil
}

// SignHMAC is the HMAC-SHA256 of body under secret, as a platform signs
// its webhooks (base64-encode it for the header).
func SignHMAC(body []byte, secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// SignatureHeader is SignHMAC base64-encoded: the header value a
// platform sends, for tests and tools.
func SignatureHeader(body []byte, secret string) string {
	return base64.StdEncoding.EncodeToString(SignHMAC(body, secret))
}
