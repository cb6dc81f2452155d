package main

import (
	"context"
	"errors"

	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/core/msgid"
)

// startTenants loads the tenants of --config and their API keys, with
// --dev the dev tenant and its key, and the key message ids are tagged
// with.
func (s *system) startTenants(context.Context) error {
	fc, err := loadFileConfig(s.c.configFile)
	if err != nil {
		return err
	}
	hashes := fc.keyHashes()
	idKeyFile := fc.IDKeyFile
	if s.c.dev {
		if s.r.devKey, err = devAPIKey(s.c.dataDir); err != nil {
			return err
		}
		hashes["dev"] = append(hashes["dev"], api.KeyHash(s.r.devKey))
		if idKeyFile == "" {
			if idKeyFile, err = devIDKeyFile(s.c.dataDir); err != nil {
				return err
			}
		}
	}
	if len(hashes) == 0 {
		return errNoTenants
	}
	if idKeyFile == "" {
		return errors.New("config: id_key_file is required without --dev")
	}
	if s.keys, err = api.NewKeyring(hashes); err != nil {
		return err
	}
	idKey, err := readIDKey(idKeyFile)
	if err != nil {
		return err
	}
	s.tenants = fc
	s.ids, err = msgid.NewIssuer(idKey)
	return err
}
