package main

import (
	"cmp"
	"flag"
	"os"
)

// clickhousePasswordEnv holds the ClickHouse password when no flag gives
// it, which keeps it out of the process list.
const clickhousePasswordEnv = "TERN_CLICKHOUSE_PASSWORD"

// clickhouseLogin is how tern logs in to ClickHouse.
type clickhouseLogin struct {
	user     string
	password string
}

func (l *clickhouseLogin) flags(fs *flag.FlagSet) {
	fs.StringVar(&l.user, "clickhouse-user", "", "ClickHouse user; empty: default (with --dev, the local server's only user)")
	fs.StringVar(&l.password, "clickhouse-password", "", "the ClickHouse user's password; empty reads $"+clickhousePasswordEnv+", which keeps it out of the process list")
}

// pass is the password: the flag's, else the environment's.
func (l clickhouseLogin) pass() string { return cmp.Or(l.password, os.Getenv(clickhousePasswordEnv)) }
