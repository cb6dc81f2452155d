package main

import (
	"context"
	"io/fs"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// What `tern serve --dev` keeps under its data directory is its user's
// only: the directory is 0700 (0710 for the postgres group when tern runs
// as root, so the cluster's user reaches its directory) and every file in
// it has no group or other permissions. The local PostgreSQL takes logins
// with its generated password only, and tern prints its URL without it.
func TestDevDataStaysPrivate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	data := filepath.Join(postgresReachableDir(t), "data")
	d := startDevServe(t, data, newDevPorts(t))
	children := descendants(t, d.cmd.Process.Pid)
	t.Cleanup(func() { killAll(children) })
	checkPrivate(t, data)

	pw, err := os.ReadFile(filepath.Join(data, "postgres", "password"))
	if err != nil {
		t.Fatalf("the local PostgreSQL's password: %v", err)
	}
	password := strings.TrimSpace(string(pw))
	printed, err := os.ReadFile(d.out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(printed), password) {
		t.Fatal("tern serve printed the PostgreSQL password")
	}
	rawURL := printedAddr(t, d.out, "  PostgreSQL:                    ")
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := u.User.Password(); got != "xxxxx" {
		t.Fatalf("printed PostgreSQL URL %s, want its password as xxxxx", rawURL)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatalf("login with the password: %v", err)
	}
	conn.Close(ctx)
	u.User = url.User(u.User.Username())
	if conn, err := pgx.Connect(ctx, u.String()); err == nil {
		conn.Close(ctx)
		t.Fatal("the local PostgreSQL let a login without a password in")
	}

	d.cmd.Process.Signal(syscall.SIGTERM)
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("tern serve after SIGTERM: %v", err)
	}
}

// checkPrivate checks that no one but its owner may read anything in
// data, nor enter it but the postgres group when running as root.
func checkPrivate(t *testing.T, data string) {
	t.Helper()
	fi, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	perm := fi.Mode().Perm()
	want := fs.FileMode(0o700)
	if os.Geteuid() == 0 {
		want = 0o710
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		if gid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Gid)); gid != pg.Gid {
			t.Errorf("%s: group %s, want postgres's (%s)", data, gid, pg.Gid)
		}
	}
	if perm != want {
		t.Errorf("%s: mode %v, want %v", data, perm, want)
	}
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == data {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch perm := fi.Mode().Perm(); {
		case d.IsDir() && perm&0o077 != 0:
			t.Errorf("directory %s: mode %v, want none for group and others", path, perm)
		case d.Type().IsRegular() && perm&0o077 != 0:
			t.Errorf("file %s: mode %v, want 0600 or less", path, perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
