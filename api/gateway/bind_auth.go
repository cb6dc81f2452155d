package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/netip"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// authenticate decides a bind and returns why it refused, for logs and
// metrics only. A bind that does not prove its password gets
// ESME_RINVPASWD whatever the reason: an unknown, disabled or
// address-restricted system_id is checked against a hash no password
// matches, of the store's work factor, so it answers as a wrong password
// does and in about the same time. Failures back off per client address
// and per system_id (Config.BindBackoff); a bind during a backoff is
// refused alike, without a check.
func (s *Server) authenticate(ctx context.Context, h *session, b *smpp.Bind) (smpp.CommandStatus, string) {
	remote := remoteAddr(h.ss.RemoteAddr())
	ip := addrKey(remote)
	if now := time.Now(); s.addrBackoff.blocked(ip, now) || s.idBackoff.blocked(b.SystemID, now) {
		return smpp.StatusInvalidPassword, "backoff"
	}
	a, refused, err := s.credentials(ctx, remote, b)
	if err != nil {
		s.log.Warn("smpp bind", "system_id", b.SystemID, "err", err)
		return smpp.StatusBindFailed, "error"
	}
	if refused != "" {
		now := time.Now()
		s.addrBackoff.failed(ip, now)
		s.idBackoff.failed(b.SystemID, now)
		return smpp.StatusInvalidPassword, refused
	}
	s.addrBackoff.succeeded(ip)
	s.idBackoff.succeeded(b.SystemID)
	if hashIterations(a.hash) < s.store.iterations {
		password := b.Password
		s.wg.Go(func() { s.upgrade(s.ctx, a, password) })
	}
	id, ok, err := s.store.registerBind(ctx, a.SystemID, s.cfg.InstanceID, h.ss.RemoteAddr().String(), b.Type, a.BindLimit, s.staleAfter())
	if err != nil {
		s.log.Warn("smpp bind", "system_id", b.SystemID, "err", err)
		return smpp.StatusBindFailed, "error"
	}
	if !ok {
		return smpp.StatusBindFailed, "bind limit"
	}
	h.bindID = id
	h.acct = s.attach(h, a)
	s.metrics.bound.Inc()
	s.refreshShares(ctx, h.acct)
	h.acct.poke()
	return smpp.StatusOK, ""
}

// credentials reads the bind's account and checks its password; refused
// says why a bind may not use it ("" when it may).
func (s *Server) credentials(ctx context.Context, remote netip.Addr, b *smpp.Bind) (a storedAccount, refused string, err error) {
	a, err = s.store.account(ctx, b.SystemID)
	switch {
	case errors.Is(err, ErrNoAccount):
		refused = "unknown system_id"
	case err != nil:
		return a, "", err
	case a.Disabled:
		refused = "disabled"
	case !a.allows(remote):
		refused = "address not allowed"
	}
	if refused != "" {
		_, err := s.checkHash(ctx, s.dummy, b.Password)
		return a, refused, err
	}
	ok, err := s.verify(ctx, a, b.Password)
	if err != nil {
		return a, "", err
	}
	if !ok {
		return a, "password", nil
	}
	return a, "", nil
}

// verify checks a bind's password. A password that matched is remembered
// (as a digest with the hash it matched) until the account's hash
// changes; others are checked on the hashing pool.
func (s *Server) verify(ctx context.Context, a storedAccount, password string) (bool, error) {
	if v, ok := s.verified.Load(a.SystemID); ok && v.([32]byte) == proof(a.hash, password) {
		return true, nil
	}
	ok, err := s.checkHash(ctx, a.hash, password)
	if ok {
		s.verified.Store(a.SystemID, proof(a.hash, password))
	}
	return ok, err
}

// proof is what verify remembers of a password that matched hash.
func proof(hash, password string) [32]byte {
	return sha256.Sum256([]byte(hash + "\x00" + password))
}

// checkHash checks password against hash on the hashing pool.
func (s *Server) checkHash(ctx context.Context, hash, password string) (ok bool, err error) {
	if perr := s.hashed(ctx, func() { ok, err = checkPassword(hash, password) }); perr != nil {
		return false, perr
	}
	return ok, err
}

// hashed runs f, one PBKDF2 computation, once one of Config.HashWorkers
// is free, or gives up when ctx ends first.
func (s *Server) hashed(ctx context.Context, f func()) error {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.hashing }()
	s.metrics.hashes.Inc()
	f()
	return nil
}

// upgrade rehashes an account's password at the store's work factor after
// a good bind, unless its hash changed meanwhile or another bind of the
// account is upgrading it. The old hash keeps working when this fails.
func (s *Server) upgrade(ctx context.Context, a storedAccount, password string) {
	if _, busy := s.upgrading.LoadOrStore(a.SystemID, true); busy {
		return
	}
	defer s.upgrading.Delete(a.SystemID)
	var upgraded string
	var err error
	if perr := s.hashed(ctx, func() { upgraded, err = hashPassword(password, s.store.iterations) }); perr != nil {
		return
	}
	replaced := false
	if err == nil {
		replaced, err = s.store.upgradeHash(ctx, a.SystemID, a.hash, upgraded)
	}
	switch {
	case err != nil:
		s.log.Warn("smpp password hash not upgraded", "system_id", a.SystemID, "err", err)
	case replaced:
		s.verified.Store(a.SystemID, proof(upgraded, password))
		s.log.Info("smpp password hash upgraded", "system_id", a.SystemID,
			"from_iterations", hashIterations(a.hash), "iterations", s.store.iterations)
	}
}
