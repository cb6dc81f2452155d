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

// devAdminKey returns the --dev operator key, DATA/dev-admin-key, made on
// first use: it calls tern.v1.AdminService for every tenant.
func devAdminKey(dataDir string) (string, error) {
	key, err := readOrCreate(filepath.Join(dataDir, "dev-admin-key"), newAPIKey)
	if err != nil {
		return "", fmt.Errorf("dev admin key: %w", err)
	}
	return key, nil
}

// defaultDevSender is the --dev tenant's default sender on first use: a
// number of the range the North American plan keeps for fiction
// (555-0100 to 555-0199), so that customers' replies, simulated with
// `tern sim-reply --to`, come back to the tenant.
const defaultDevSender = "+14155550100"

// devSender returns the --dev tenant's default sender, DATA/dev-sender,
// made on first use.
func devSender(dataDir string) (string, error) {
	from, err := readOrCreate(filepath.Join(dataDir, "dev-sender"), func() string { return defaultDevSender })
	if err != nil {
		return "", fmt.Errorf("dev sender: %w", err)
	}
	return from, nil
}
