package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ternsms/tern/api"
)

// newSecret returns n random bytes.
func newSecret(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// newAPIKey returns a fresh API key: "tern_" and 32 random bytes, base64url.
func newAPIKey() string {
	return "tern_" + base64.RawURLEncoding.EncodeToString(newSecret(32))
}

// readOrCreate returns the trimmed contents of path, or writes make()'s
// value there (mode 0600) when the file does not exist.
func readOrCreate(path string, make func() string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	v := make()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", err
	}
	return v, nil
}

// readIDKey reads a hex id key from path.
func readIDKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("id key: %w", err)
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("id key %s: not hex: %w", path, err)
	}
	return k, nil
}

func runKeygen(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("keygen takes no arguments")
	}
	key := newAPIKey()
	fmt.Printf("api key (give to the client):        %s\n", key)
	fmt.Printf("sha256 (put in the config's tenant): %s\n", api.KeyHash(key))
	return nil
}
