package router

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/price"
)

func TestParseCarrier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string
		want CarrierConfig
	}{
		{
			name: "host names the carrier, default port",
			spec: "smpp://tern:secret@smsc.example.com",
			want: CarrierConfig{Name: "smsc.example.com", SMPP: smpp.ClientConfig{
				Name: "smsc.example.com", Addr: "smsc.example.com:2775", SystemID: "tern", Password: "secret"}},
		},
		{
			name: "name, window, tps, binds, in_doubt, cost",
			spec: "primary=smpp://tern:secret@10.0.0.1:2776?window=50&tps=120.5&binds=3&in_doubt=fail&cost=0.0042&currency=usd",
			want: CarrierConfig{Name: "primary", InDoubt: InDoubtFail,
				Cost: Cost{PerSegment: 4200, Currency: "USD"},
				SMPP: smpp.ClientConfig{Name: "primary", Addr: "10.0.0.1:2776", SystemID: "tern", Password: "secret",
					Window: 50, TPS: 120.5, Binds: 3}},
		},
		{
			name: "name parameter, as the old flag had it",
			spec: "smpp://tern:x@localhost:2775?name=sim&window=10",
			want: CarrierConfig{Name: "sim", SMPP: smpp.ClientConfig{Name: "sim", Addr: "localhost:2775",
				SystemID: "tern", Password: "x", Window: 10}},
		},
		{
			name: "escaped password, ipv6 host",
			spec: "v6=smpp://tern:p%40ss%3Aw@[::1]:2775",
			want: CarrierConfig{Name: "v6", SMPP: smpp.ClientConfig{Name: "v6", Addr: "[::1]:2775",
				SystemID: "tern", Password: "p@ss:w"}},
		},
		{
			name: "mode tx+rx survives query decoding",
			spec: "a=smpp://tern:x@h:1?mode=tx+rx&receivers=2&long_messages=sar&packed=true&request_timeout=250ms",
			want: CarrierConfig{Name: "a", SMPP: smpp.ClientConfig{Name: "a", Addr: "h:1", SystemID: "tern", Password: "x",
				Mode: smpp.BindTransmitterReceiver, Receivers: 2, LongMessages: smpp.LongSAR, Packed: true,
				RequestTimeout: 250 * time.Millisecond}},
		},
		{
			name: "no credentials",
			spec: "  open = smpp://h:1/  ",
			want: CarrierConfig{Name: "open", SMPP: smpp.ClientConfig{Name: "open", Addr: "h:1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCarrier(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCarrier(%q) =\n%+v\nwant\n%+v", tt.spec, got, tt.want)
			}
		})
	}
}

func TestParseCarrierErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string
		want string // in the error
	}{
		{"unknown parameters named", "smpp://tern:secret@h:1?windw=5&tsp=1&window=3", "unknown parameters tsp, windw"},
		{"scheme", "http://tern:secret@h:1", `scheme "http"`},
		{"no scheme", "h:2775", "scheme"},
		{"no host", "smpp://tern:secret@:2775", "no host"},
		{"path", "smpp://tern:secret@h:1/x", `path "/x"`},
		{"window not a number", "smpp://tern:secret@h:1?window=ten", `window "ten"`},
		{"window out of range", "smpp://tern:secret@h:1?window=-1", "window: -1"},
		{"tps negative", "smpp://tern:secret@h:1?tps=-3", "tps: -3"},
		{"bad duration", "smpp://tern:secret@h:1?request_timeout=10", `request_timeout "10"`},
		{"in_doubt", "smpp://tern:secret@h:1?in_doubt=maybe", `in_doubt "maybe"`},
		{"cost without currency", "smpp://tern:secret@h:1?cost=0.01", "no currency"},
		{"bad cost", "smpp://tern:secret@h:1?cost=-1&currency=USD", "cost"},
		{"bad currency", "smpp://tern:secret@h:1?cost=1&currency=dollars", `currency "dollars"`},
		{"repeated parameter", "smpp://tern:secret@h:1?window=1&window=2", "window given 2 times"},
		{"names disagree", "a=smpp://tern:secret@h:1?name=b", `"a"`},
		{"bad name", "a b=smpp://tern:secret@h:1", `name "a b"`},
		{"password too long", "smpp://tern:secretsecret@h:1", "password: 12 octets"},
		{"bad mode", "smpp://tern:secret@h:1?mode=rx", "bind mode"},
		{"unreadable url", "smpp://tern:secret@h:1:2:3%zz", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseCarrier(tt.spec)
			if err == nil {
				t.Fatalf("ParseCarrier(%q) succeeded", tt.spec)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}

// TestParseCarrierSetsEveryField keeps the spec complete: every field of
// smpp.ClientConfig must be settable, so a new one fails here until a
// parameter sets it.
func TestParseCarrierSetsEveryField(t *testing.T) {
	t.Parallel()
	values := map[string]string{
		"system_type": "vma", "window": "7", "binds": "2", "mode": "txrx", "receivers": "3", "tps": "9.5",
		"request_timeout": "1s", "enquire_link": "2s", "throttle_pause": "3ms", "queue_full_retry": "4ms",
		"reconnect_min": "5ms", "reconnect_max": "6s", "stable_after": "7s", "long_messages": "payload",
		"packed": "1", "response_id_format": "hex", "receipt_id_format": "decimal", "inbound_timeout": "8s",
		"inbound_pending": "9", "in_doubt": "fail", "cost": "0.5", "currency": "EUR", "name": "n",
		"tls": "true", "tls_ca": writeCA(t),
	}
	var q []string
	for _, p := range carrierParamList {
		v, ok := values[p.key]
		if !ok {
			t.Fatalf("parameter %s has no test value", p.key)
		}
		q = append(q, p.key+"="+v)
	}
	c, err := ParseCarrier("smpp://tern:pw@h:1?" + strings.Join(q, "&"))
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(c.SMPP)
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.IsExported() && v.Field(i).IsZero() {
			t.Errorf("smpp.ClientConfig.%s is not set by any carrier spec parameter", f.Name)
		}
	}
	if c.InDoubt != InDoubtFail || c.Cost != (Cost{PerSegment: price.Amount(500_000), Currency: "EUR"}) || c.Name != "n" {
		t.Errorf("carrier fields: %+v", c)
	}
}

func TestCarrierConfigStringHidesPassword(t *testing.T) {
	t.Parallel()
	c, err := ParseCarrier("a=smpp://tern:hunter2@h:1")
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); strings.Contains(s, "hunter2") || s != "a=smpp://tern@h:1" {
		t.Errorf("String() = %q", s)
	}
}
