package smpp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

func TestClientConfigValidate(t *testing.T) {
	t.Parallel()
	ok := smpp.ClientConfig{Name: "c", Addr: "smsc:2775"}
	tests := []struct {
		name    string
		change  func(*smpp.ClientConfig)
		wantErr string // "" for valid
	}{
		{"defaults", func(*smpp.ClientConfig) {}, ""},
		{"everything set", func(c *smpp.ClientConfig) {
			c.Mode, c.Binds, c.Receivers, c.TPS = smpp.BindTransmitterReceiver, 4, 2, 250
			c.LongMessages, c.Packed, c.ResponseIDFormat, c.ReceiptIDFormat = smpp.LongSAR, true, smpp.IDHex, smpp.IDDecimal
			c.ReconnectMin, c.ReconnectMax, c.StableAfter = time.Second, time.Minute, time.Minute
		}, ""},
		{"no name", func(c *smpp.ClientConfig) { c.Name = "" }, "name"},
		{"bad addr", func(c *smpp.ClientConfig) { c.Addr = "smsc" }, "addr"},
		{"long password", func(c *smpp.ClientConfig) { c.Password = "ninechars" }, "password"},
		{"too many binds", func(c *smpp.ClientConfig) { c.Binds = 65 }, "binds"},
		{"negative tps", func(c *smpp.ClientConfig) { c.TPS = -1 }, "tps"},
		{"unknown long mode", func(c *smpp.ClientConfig) { c.LongMessages = 7 }, "long messages"},
		{"unknown id format", func(c *smpp.ClientConfig) { c.ReceiptIDFormat = 9 }, "id formats"},
		{"backoff upside down", func(c *smpp.ClientConfig) { c.ReconnectMin, c.ReconnectMax = time.Minute, time.Second }, "reconnect max"},
		{"negative pause", func(c *smpp.ClientConfig) { c.ThrottlePause = -time.Second }, "throttle pause"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ok
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate: %v, want an error naming %q", err, tt.wantErr)
			}
		})
	}
}
