package main

import (
	"context"
	"errors"
	"slices"

	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline/tenants"
)

// startTenants reads the tenants and API keys of --config, with --dev the
// dev tenant (its key and default sender) and the dev operator key, for
// startConsent to bootstrap the tenant store with; and the key message
// ids are tagged with.
func (s *system) startTenants(context.Context) error {
	fc, err := loadFileConfig(s.c.configFile)
	if err != nil {
		return err
	}
	boot := fc.bootstrap()
	idKeyFile := fc.IDKeyFile
	if s.c.dev {
		if err := s.devTenant(&boot); err != nil {
			return err
		}
		if idKeyFile == "" {
			if idKeyFile, err = devIDKeyFile(s.c.dataDir); err != nil {
				return err
			}
		}
	}
	if len(boot.Tenants) == 0 && len(boot.AdminKeyHashes) == 0 {
		return errNoTenants
	}
	if idKeyFile == "" {
		return errors.New("config: id_key_file is required without --dev")
	}
	idKey, err := readIDKey(idKeyFile)
	if err != nil {
		return err
	}
	s.tenants, s.boot, s.idKey = fc, boot, idKey
	s.ids, err = msgid.NewIssuer(idKey)
	return err
}

// devTenant adds to boot the dev tenant, with the key of DATA/dev-api-key
// and the default sender of DATA/dev-sender, and the operator key of
// DATA/dev-admin-key.
func (s *system) devTenant(boot *tenants.Bootstrap) error {
	var err error
	if s.r.devKey, err = devAPIKey(s.c.dataDir); err != nil {
		return err
	}
	if s.r.devAdminKey, err = devAdminKey(s.c.dataDir); err != nil {
		return err
	}
	if s.r.devSender, err = devSender(s.c.dataDir); err != nil {
		return err
	}
	boot.AdminKeyHashes = append(boot.AdminKeyHashes, api.KeyHash(s.r.devAdminKey))
	for i, t := range boot.Tenants {
		if t.ID == "dev" {
			boot.Tenants[i].KeyHashes = append(t.KeyHashes, api.KeyHash(s.r.devKey))
			def := !slices.ContainsFunc(t.Senders, func(sn tenants.Sender) bool { return sn.Default })
			boot.Tenants[i].Senders = append(t.Senders, tenants.Sender{ID: s.r.devSender, Default: def})
			return nil
		}
	}
	boot.Tenants = append(boot.Tenants, tenants.BootTenant{ID: "dev", Name: "tern dev", KeyHashes: []string{api.KeyHash(s.r.devKey)},
		Senders: []tenants.Sender{{ID: s.r.devSender, Default: true}}})
	return nil
}
