package main

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
)

// devAPIKey returns the --dev tenant's API key, DATA/dev-api-key, made on
// first use.
func devAPIKey(dataDir string) (string, error) {
	key, err := readOrCreate(filepath.Join(dataDir, "dev-api-key"), newAPIKey)
	if err != nil {
		return "", fmt.Errorf("dev api key: %w", err)
	}
	return key, nil
}

// devIDKeyFile returns DATA/id-key, the id key of --dev without
// id_key_file, made on first use.
func devIDKeyFile(dataDir string) (string, error) {
	file := filepath.Join(dataDir, "id-key")
	if _, err := readOrCreate(file, func() string { return hex.EncodeToString(newSecret(32)) }); err != nil {
		return "", fmt.Errorf("id key: %w", err)
	}
	return file, nil
}
