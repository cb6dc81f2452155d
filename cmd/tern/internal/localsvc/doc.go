// Package localsvc runs the local infrastructure tern needs on one machine:
// a private ClickHouse server (and, beside it, other stores) started from the
// Debian binaries as child processes with their data under a directory the
// caller names.
//
// It owns writing those servers' configuration, starting them in their own
// process group (so terminal signals reach tern, which decides the shutdown
// order), waiting until they answer, and stopping them. A server dies with
// the tern that started it, also when tern is killed; one that an older tern
// left running is found through its directory's InstanceFile and stopped
// before a new one starts there. It must not be used to manage shared or
// production servers: it never touches system services, system configuration
// or data outside the directory it is given.
package localsvc
