package smpp_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
)

func TestCommandStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    smpp.CommandStatus
		name      string
		retriable bool
	}{
		{smpp.StatusThrottled, "ESME_RTHROTTLED", true},
		{smpp.StatusMessageQueueFull, "ESME_RMSGQFUL", true},
		{smpp.StatusSystemError, "ESME_RSYSERR", true},
		{smpp.StatusTempAppError, "ESME_RX_T_APPN", true},
		{smpp.StatusInvalidDestAddr, "ESME_RINVDSTADR", false},
		{smpp.StatusInvalidPassword, "ESME_RINVPASWD", false},
		{smpp.StatusPermAppError, "ESME_RX_P_APPN", false},
		{0x00000410, "0x00000410", false}, // vendor-specific
		{0x00000009, "0x00000009", false}, // reserved
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.status.Name(); got != tt.name {
				t.Errorf("Name = %q, want %q", got, tt.name)
			}
			err := fmt.Errorf("submit_sm to sim: %w", tt.status)
			if got := carriers.IsRetriable(err); got != tt.retriable {
				t.Errorf("IsRetriable = %v, want %v", got, tt.retriable)
			}
			var st smpp.CommandStatus
			if !errors.As(err, &st) || st != tt.status || !errors.Is(err, tt.status) {
				t.Errorf("status not found in %v", err)
			}
			if tt.status.Description() == "" {
				t.Error("no description")
			}
		})
	}
}

func TestParseCommandStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want smpp.CommandStatus
		ok   bool
	}{
		{"ESME_RSYSERR", smpp.StatusSystemError, true},
		{"esme_rthrottled", smpp.StatusThrottled, true},
		{"0x14", smpp.StatusMessageQueueFull, true},
		{"8", smpp.StatusSystemError, true},
		{"0x00000400", 0x400, true},
		{"ESME_RNOPE", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := smpp.ParseCommandStatus(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseCommandStatus(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
