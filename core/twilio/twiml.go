package twilio

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// MaxTwiML bounds the TwiML reply read from a tenant's SMS URL.
const MaxTwiML = 64 << 10

// ErrTwiML is wrapped by ParseTwiML's errors.
var ErrTwiML = errors.New("unreadable TwiML")

// Reply is one <Message> of a TwiML response: a text to send back. To
// and From are empty unless the verb names them; then the reply goes to
// the customer who wrote, from the number they wrote to.
type Reply struct {
	To, From, Body string
}

type twimlResponse struct {
	XMLName  xml.Name       `xml:"Response"`
	Messages []twimlMessage `xml:"Message"`
}

type twimlMessage struct {
	To   string     `xml:"to,attr"`
	From string     `xml:"from,attr"`
	Body *twimlBody `xml:"Body"`
	Text string     `xml:",chardata"`
}

type twimlBody struct {
	Text string `xml:",chardata"`
}

// ParseTwiML reads the <Message> verbs of a TwiML <Response>: its text,
// or its <Body>, trimmed; messages without text are dropped. Other verbs
// (<Redirect>, <Media>) are ignored. An empty document has no replies.
func ParseTwiML(b []byte) ([]Reply, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	if len(b) > MaxTwiML {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrTwiML, MaxTwiML)
	}
	var r twimlResponse
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTwiML, err)
	}
	var out []Reply
	for _, m := range r.Messages {
		text := m.Text
		if m.Body != nil {
			text = m.Body.Text
		}
		if text = strings.TrimSpace(text); text != "" {
			out = append(out, Reply{To: strings.TrimSpace(m.To), From: strings.TrimSpace(m.From), Body: text})
		}
	}
	return out, nil
}
