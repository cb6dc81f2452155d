package pipeline

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/phone"
)

// Limits on request fields.
const (
	MaxBodyRunes        = 1600
	MaxCampaignIDLen    = 128
	MaxIdempotencyKey   = 255
	maxAlphaSenderLen   = 11
	maxNumericSenderLen = 16
	// MaxScheduleAhead bounds how far ahead send_at may be.
	MaxScheduleAhead = 35 * 24 * time.Hour
)

// Request is one message to send, as every front door hands it in.
type Request struct {
	TenantID       string
	To             string
	From           string
	Body           string
	CampaignID     string
	IdempotencyKey string
	Category       core.Category
	// SendAt, if set, is the earliest time to send.
	SendAt time.Time
	// Validity, if set, is how long after its send time the message may
	// still go out; at most, and by default, the intake's (WithValidity).
	Validity time.Duration
	// Origin names the front door: "" for the API, "smpp/SYSTEM_ID" for
	// the SMPP gateway. Events carry it.
	Origin string
	// Raw, when set, is the message as its sender encoded it, sent as one
	// part unchanged; Body must hold its decoded text.
	Raw *carriers.Raw
	// Coding is how the text is encoded and split: smart encoding and the
	// national language tables allowed, resolved by the front door from the
	// request and the tenant's settings.
	Coding gsm.Options
}

// checked is a Request that passed validation, with what validation learned.
type checked struct {
	Request
	to   phone.Number
	info gsm.Info
}

// check validates r and returns the first problem as a *FieldError.
// Recipients are parsed through phones.
func check(r Request, phones *phone.Cache) (checked, error) {
	c := checked{Request: r}
	if r.To == "" {
		return c, &FieldError{Field: "to", Reason: "required"}
	}
	n, err := phones.Parse(r.To, "")
	if err != nil {
		return c, &FieldError{Field: "to", Reason: "not a valid phone number in E.164 form (+14155552671)"}
	}
	c.to = n
	if r.Body == "" {
		return c, &FieldError{Field: "body", Reason: "required"}
	}
	if !utf8.ValidString(r.Body) {
		return c, &FieldError{Field: "body", Reason: "not valid UTF-8"}
	}
	if utf8.RuneCountInString(r.Body) > MaxBodyRunes {
		return c, &FieldError{Field: "body", Reason: "longer than 1600 characters"}
	}
	if reason := checkSender(r.From); reason != "" {
		return c, &FieldError{Field: "from", Reason: reason}
	}
	if reason := checkID(r.CampaignID, MaxCampaignIDLen); reason != "" {
		return c, &FieldError{Field: "campaign_id", Reason: reason}
	}
	if reason := checkID(r.IdempotencyKey, MaxIdempotencyKey); reason != "" {
		return c, &FieldError{Field: "idempotency_key", Reason: reason}
	}
	if !r.SendAt.IsZero() && time.Until(r.SendAt) > MaxScheduleAhead {
		return c, &FieldError{Field: "send_at", Reason: "more than 35 days ahead"}
	}
	if r.Validity < 0 {
		return c, &FieldError{Field: "validity", Reason: "negative"}
	}
	if r.Category > core.CategoryOTP {
		return c, &FieldError{Field: "category", Reason: "unknown category"}
	}
	c.Category = r.Category.Normalize()
	if r.Raw != nil {
		// 140 octets, or 160 for data_coding 0: unpacked septets take one
		// octet each (a concatenated part: its header and 153 septets).
		limit := 140
		if r.Raw.DataCoding == gsm.DataCodingGSM7 {
			limit = 160
		}
		if len(r.Raw.ShortMessage) == 0 || len(r.Raw.ShortMessage) > limit {
			return c, &FieldError{Field: "short_message", Reason: "1 to 140 octets (160 unpacked septets for data_coding 0)"}
		}
		c.info = gsm.Info{Encoding: gsm.GSM7, Units: len(r.Raw.ShortMessage), Segments: 1}
		if r.Raw.DataCoding == gsm.DataCodingUCS2 {
			c.info.Encoding = gsm.UCS2
		}
		return c, nil
	}
	c.info = gsm.Analyze(r.Body, r.Coding)
	return c, nil
}

// checkID returns why id, a client's name for something (a campaign, an
// idempotency key), is not usable, or "": at most max bytes of UTF-8
// without control characters. Such names are stored as text and shown in
// reports; a NUL is one the database refuses.
func checkID(id string, max int) string {
	switch {
	case len(id) > max:
		return fmt.Sprintf("longer than %d bytes", max)
	case !utf8.ValidString(id):
		return "not valid UTF-8"
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		return "control characters are not allowed"
	}
	return ""
}

// checkSender returns why from is not a usable sender id, or "".
// Empty is allowed (the carrier's default applies); otherwise a number of
// up to 16 digits with an optional '+', or up to 11 alphanumeric characters.
func checkSender(from string) string {
	if from == "" {
		return ""
	}
	digits, alnum := 0, 0
	for i, r := range from {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == ' ', r == '-', r == '.', r == '&', r == '_':
			alnum++
		default:
			return "only letters, digits, space and - . & _ are allowed"
		}
	}
	if alnum == 0 {
		if digits == 0 || digits > maxNumericSenderLen {
			return "a numeric sender has 1 to 16 digits"
		}
		return ""
	}
	if from[0] == '+' {
		return "a numeric sender has only digits after '+'"
	}
	if utf8.RuneCountInString(from) > maxAlphaSenderLen {
		return "an alphanumeric sender has at most 11 characters"
	}
	return ""
}
