package router

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// DefaultSMPPPort is the port a carrier spec without one connects to.
const DefaultSMPPPort = "2775"

// ParseCarrier reads a carrier spec:
//
//	[NAME=]smpp://SYSTEM_ID:PASSWORD@HOST[:PORT][?PARAM=VALUE&...]
//
// NAME defaults to HOST and PORT to 2775. Characters of the password
// that a URL reserves (@ : / ? # % and the like) are written %-escaped.
// The parameters, each at most once, set:
//
//	name                the carrier's name, instead of NAME=
//	system_type         bind system_type
//	window              submits in flight per bind (default 100)
//	binds               sessions that submit (default 1)
//	mode                trx (default) or txrx: transmitters beside receivers
//	receivers           receiver sessions with mode=txrx (default 1)
//	tps                 submits per second over all binds, 0 no cap (default 0)
//	request_timeout     wait for each response, e.g. 10s (default 10s)
//	enquire_link        keepalive interval (default 30s)
//	throttle_pause      a bind's pause after ESME_RTHROTTLED (default 200ms)
//	queue_full_retry    wait before resending after ESME_RMSGQFUL (default 8s)
//	reconnect_min       shortest wait between reconnects (default 500ms)
//	reconnect_max       longest wait between reconnects (default 30s)
//	stable_after        uptime after which reconnect waits start over (default 30s)
//	long_messages       udh (default), sar or payload
//	packed              true: GSM-7 packed 8 septets into 7 octets (default false)
//	response_id_format  ids in submit_sm_resp: auto (default), hex, decimal or as-is
//	receipt_id_format   ids in receipt texts: auto (default), hex, decimal or as-is
//	inbound_timeout     wait for the missing parts of an inbound message (default 2m)
//	inbound_pending     incomplete inbound messages kept (default 1024)
//	in_doubt            resubmit (default) or fail
//	tls                 true: SMPP over TLS, checked against the system's roots (default false)
//	tls_ca              PEM file of the CA to check the SMSC's certificate with; implies tls
//	cost                what the carrier charges per segment, e.g. 0.0042
//	currency            the cost's ISO 4217 code, e.g. USD; required with cost
//
// Durations are Go durations (250ms, 10s, 2m). Unknown parameters are an
// error that names them. Errors never repeat the password. The result is
// validated.
func ParseCarrier(spec string) (CarrierConfig, error) {
	c, err := parseCarrier(spec)
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		return CarrierConfig{}, fmt.Errorf("%w: carrier %s: %w", ErrInvalidConfig, redactSpec(spec), err)
	}
	return c, nil
}

func parseCarrier(spec string) (CarrierConfig, error) {
	c, _, err := parseCarrierNamed(spec)
	return c, err
}

// parseCarrierNamed parses a spec and reports whether it named the
// carrier (NAME= or name=) rather than leaving the host to.
func parseCarrierNamed(spec string) (c CarrierConfig, named bool, err error) {
	c, err = parseCarrierURL(spec)
	if err != nil {
		return c, false, err
	}
	name, rest := cutName(strings.TrimSpace(spec))
	u, _ := url.Parse(rest)
	return c, name != "" || u.Query().Has("name"), nil
}

func parseCarrierURL(spec string) (CarrierConfig, error) {
	var c CarrierConfig
	spec = strings.TrimSpace(spec)
	name, rest := cutName(spec)
	u, err := url.Parse(rest)
	if err != nil {
		// url.Error repeats the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return c, err
	}
	switch {
	case u.Scheme != "smpp":
		return c, fmt.Errorf("scheme %q: want smpp://SYSTEM_ID:PASSWORD@HOST:PORT", u.Scheme)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return c, errors.New("no host: want smpp://SYSTEM_ID:PASSWORD@HOST:PORT")
	case u.Path != "" && u.Path != "/":
		return c, fmt.Errorf("path %q: an SMPP address has none", u.Path)
	case u.Fragment != "":
		return c, errors.New("a fragment (#...) has no meaning here")
	}
	port := u.Port()
	if port == "" {
		port = DefaultSMPPPort
	}
	c.SMPP.Addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		c.SMPP.SystemID = u.User.Username()
		c.SMPP.Password, _ = u.User.Password()
	}
	c.Name = u.Hostname()
	if name != "" {
		c.Name = name
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("query: %w", err)
	}
	var unknown []string
	for k := range q {
		if _, ok := carrierParams[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return c, fmt.Errorf("unknown parameters %s", strings.Join(unknown, ", "))
	}
	for _, p := range carrierParamList {
		vs, ok := q[p.key]
		if !ok {
			continue
		}
		if len(vs) > 1 {
			return c, fmt.Errorf("parameter %s given %d times", p.key, len(vs))
		}
		if err := p.set(&c, vs[0]); err != nil {
			return c, err
		}
	}
	if name != "" && c.Name != name {
		return c, fmt.Errorf("named %q before the URL and %q by its name parameter", name, c.Name)
	}
	c.SMPP.Name = c.Name
	return c, nil
}

// cutName splits "NAME=smpp://..." into its name and URL; a spec without
// a name before the scheme returns "".
func cutName(spec string) (name, rest string) {
	scheme := strings.Index(spec, "://")
	eq := strings.IndexByte(spec, '=')
	if eq < 0 || scheme < 0 || eq > scheme {
		return "", spec
	}
	return strings.TrimSpace(spec[:eq]), strings.TrimSpace(spec[eq+1:])
}

// redactSpec returns spec with its password replaced, for errors; a spec
// that does not parse is shown only by its name.
func redactSpec(spec string) string {
	name, rest := cutName(strings.TrimSpace(spec))
	u, err := url.Parse(rest)
	if err != nil {
		if name != "" {
			return strconv.Quote(name)
		}
		return "(unreadable spec)"
	}
	s := u.Redacted()
	if name != "" {
		s = name + "=" + s
	}
	return strconv.Quote(s)
}

// carrierParam sets one CarrierConfig field from text, in a spec's query
// or a config file's carrier entry.
type carrierParam struct {
	key string
	set func(c *CarrierConfig, v string) error
}

// carrierParamList holds every parameter in the order ParseCarrier
// applies them; its doc comment lists them.
var carrierParamList = []carrierParam{
	{"name", func(c *CarrierConfig, v string) error { c.Name = strings.TrimSpace(v); return nil }},
	{"system_type", func(c *CarrierConfig, v string) error { c.SMPP.SystemType = v; return nil }},
	{"window", intParam("window", func(c *CarrierConfig) *int { return &c.SMPP.Window })},
	{"binds", intParam("binds", func(c *CarrierConfig) *int { return &c.SMPP.Binds })},
	{"mode", func(c *CarrierConfig, v string) error {
		// A query string reads "tx+rx" as "tx rx".
		m, err := smpp.ParseBindMode(strings.ReplaceAll(v, " ", "+"))
		c.SMPP.Mode = m
		return err
	}},
	{"receivers", intParam("receivers", func(c *CarrierConfig) *int { return &c.SMPP.Receivers })},
	{"tps", func(c *CarrierConfig, v string) error {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return fmt.Errorf("tps %q: want a number", v)
		}
		c.SMPP.TPS = f
		return nil
	}},
	{"request_timeout", durationParam("request_timeout", func(c *CarrierConfig) *time.Duration { return &c.SMPP.RequestTimeout })},
	{"enquire_link", durationParam("enquire_link", func(c *CarrierConfig) *time.Duration { return &c.SMPP.EnquireLink })},
	{"throttle_pause", durationParam("throttle_pause", func(c *CarrierConfig) *time.Duration { return &c.SMPP.ThrottlePause })},
	{"queue_full_retry", durationParam("queue_full_retry", func(c *CarrierConfig) *time.Duration { return &c.SMPP.QueueFullRetry })},
	{"reconnect_min", durationParam("reconnect_min", func(c *CarrierConfig) *time.Duration { return &c.SMPP.ReconnectMin })},
	{"reconnect_max", durationParam("reconnect_max", func(c *CarrierConfig) *time.Duration { return &c.SMPP.ReconnectMax })},
	{"stable_after", durationParam("stable_after", func(c *CarrierConfig) *time.Duration { return &c.SMPP.StableAfter })},
	{"long_messages", func(c *CarrierConfig, v string) error {
		m, err := smpp.ParseLongMode(v)
		c.SMPP.LongMessages = m
		return err
	}},
	{"packed", func(c *CarrierConfig, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("packed %q: want true or false", v)
		}
		c.SMPP.Packed = b
		return nil
	}},
	{"response_id_format", func(c *CarrierConfig, v string) error {
		f, err := smpp.ParseIDFormat(v)
		c.SMPP.ResponseIDFormat = f
		return err
	}},
	{"receipt_id_format", func(c *CarrierConfig, v string) error {
		f, err := smpp.ParseIDFormat(v)
		c.SMPP.ReceiptIDFormat = f
		return err
	}},
	{"inbound_timeout", durationParam("inbound_timeout", func(c *CarrierConfig) *time.Duration { return &c.SMPP.InboundTimeout })},
	{"inbound_pending", intParam("inbound_pending", func(c *CarrierConfig) *int { return &c.SMPP.InboundPending })},
	{"in_doubt", func(c *CarrierConfig, v string) error {
		c.InDoubt = strings.ToLower(strings.TrimSpace(v))
		return nil // Validate names the wrong ones
	}},
	{"tls", func(c *CarrierConfig, v string) error {
		on, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("tls %q: want true or false", v)
		}
		if on {
			c.SMPP.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		return nil
	}},
	{"tls_ca", func(c *CarrierConfig, v string) error {
		pem, err := os.ReadFile(v)
		if err != nil {
			return fmt.Errorf("tls_ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("tls_ca %s: no PEM certificate in it", v)
		}
		if c.SMPP.TLS == nil {
			c.SMPP.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		c.SMPP.TLS.RootCAs = roots
		return nil
	}},
	{"cost", func(c *CarrierConfig, v string) error {
		a, err := parseCost(v)
		c.Cost.PerSegment = a
		return err
	}},
	{"currency", func(c *CarrierConfig, v string) error {
		cur, err := parseCurrency(v)
		c.Cost.Currency = cur
		return err
	}},
}

var carrierParams = func() map[string]carrierParam {
	m := make(map[string]carrierParam, len(carrierParamList))
	for _, p := range carrierParamList {
		m[p.key] = p
	}
	return m
}()

func intParam(key string, field func(*CarrierConfig) *int) func(*CarrierConfig, string) error {
	return func(c *CarrierConfig, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%s %q: want a whole number", key, v)
		}
		*field(c) = n
		return nil
	}
}

func durationParam(key string, field func(*CarrierConfig) *time.Duration) func(*CarrierConfig, string) error {
	return func(c *CarrierConfig, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%s %q: want a duration such as 500ms or 10s", key, v)
		}
		*field(c) = d
		return nil
	}
}
