package testkit

import (
	"log/slog"
	"os"
	"testing"
)

// LogEnv names the environment variable that turns on EnvLogger's output.
const LogEnv = "TERN_TEST_LOG"

// Logger returns a logger writing text records at level and above to the
// test's output, shown with the test's result. Whatever logs through it
// must stop before the test ends.
func Logger(t testing.TB, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// EnvLogger returns a logger that discards everything, or with
// TERN_TEST_LOG set writes every record, debug included, to stderr. It
// suits servers whose goroutines may log after their test ended, where
// the test's output may no longer be written.
func EnvLogger() *slog.Logger {
	if os.Getenv(LogEnv) != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
