package localsvc

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// PrivateDir creates dir when missing and makes it private: mode 0700,
// owned by the current user. With postgres, when running as root, it is
// 0710 with the group of the postgres system user instead: a PostgreSQL
// cluster below dir must run as that user and reach its directory, and
// the group may pass through dir but not list it. A dir that was not
// private yet (an older tern made it 0755) has everything below it made
// private too: group and others lose their access.
func PrivateDir(dir string, postgres bool) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	mode, gid := fs.FileMode(0o700), -1
	if postgres {
		cred, err := postgresCredential()
		if err != nil {
			return err
		}
		if cred != nil {
			mode, gid = 0o710, int(cred.Gid)
		}
	}
	if fi.Mode().Perm()&0o077 != 0 && fi.Mode().Perm() != mode {
		if err := tightenBelow(dir); err != nil {
			return fmt.Errorf("make %s private: %w", dir, err)
		}
	}
	if gid >= 0 {
		if err := os.Chown(dir, -1, gid); err != nil {
			return fmt.Errorf("make %s private: %w", dir, err)
		}
	}
	if err := os.Chmod(dir, mode); err != nil {
		return fmt.Errorf("make %s private: %w", dir, err)
	}
	return nil
}

// tightenBelow takes group and other permissions from every directory and
// regular file below dir. A directory others cannot enter is left as it
// is, with what is below it: it is private already.
func tightenBelow(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir || !(d.IsDir() || d.Type().IsRegular()) {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		perm := fi.Mode().Perm()
		switch {
		case d.IsDir() && perm&0o007 == 0:
			return filepath.SkipDir
		case perm&0o077 != 0:
			return os.Chmod(path, perm&^0o077)
		}
		return nil
	})
}

// reachable checks that the user cred names may pass through every
// directory from dir up to /, as the postgres user must to reach its
// cluster's directory.
func reachable(dir string, cred *syscall.Credential) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		perm := fi.Mode().Perm()
		ok := perm&0o001 != 0 ||
			(st != nil && st.Gid == cred.Gid && perm&0o010 != 0) ||
			(st != nil && st.Uid == cred.Uid && perm&0o100 != 0)
		if !ok {
			return fmt.Errorf("directory %s is not searchable by the postgres user (chmod o+x %s, or use a --data directory elsewhere)", d, d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
