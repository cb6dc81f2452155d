package twilio

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/sender"
	tw "github.com/ternsms/tern/core/twilio"
	"github.com/ternsms/tern/pipeline"
	twstore "github.com/ternsms/tern/pipeline/twilio"
)

// messageJSON is a Message resource as the REST API writes it.
type messageJSON struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                string            `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           *string           `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

func messageURI(account, sid string) string {
	return "/" + tw.APIVersion + "/Accounts/" + account + "/Messages/" + sid
}

func toJSON(m twstore.Message, now time.Time) messageJSON {
	status, code := m.Status(now)
	j := messageJSON{AccountSID: m.AccountSID, APIVersion: tw.APIVersion, Body: m.Body, DateCreated: tw.Date(m.Created),
		DateUpdated: tw.Date(m.Updated), Direction: m.Direction, From: m.From, NumMedia: "0", NumSegments: strconv.Itoa(m.Segments),
		SID: m.SID, Status: status, To: m.To, URI: messageURI(m.AccountSID, m.SID) + ".json",
		SubresourceURIs: map[string]string{"media": messageURI(m.AccountSID, m.SID) + "/Media.json"}}
	if !m.Sent.IsZero() {
		d := tw.Date(m.Sent)
		j.DateSent = &d
		if m.PriceUnit != "" {
			p := tw.Price(m.PriceMicros)
			j.Price = &p
		}
	}
	if m.PriceUnit != "" {
		j.PriceUnit = &m.PriceUnit
	}
	if code != 0 {
		j.ErrorCode = &code
		if m.Reason != "" {
			j.ErrorMessage = &m.Reason
		}
	}
	if m.MessagingServiceSID != "" {
		j.MessagingServiceSID = &m.MessagingServiceSID
	}
	return j
}

// createMessage serves POST …/Messages.json.
func (h *handler) createMessage(w http.ResponseWriter, r *http.Request, a twstore.Account) {
	o, terr := h.outgoing(r.PostForm, a)
	if terr != nil {
		writeError(w, terr)
		return
	}
	m, err := h.d.Messages.Send(r.Context(), h.d.Intake, a, o)
	if err != nil {
		if terr := sendError(err); terr != nil {
			writeError(w, terr)
			return
		}
		h.internal(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, toJSON(m, h.d.Now()))
}

// outgoing reads a create's form (docs/twilio.md has the table).
func (h *handler) outgoing(f url.Values, a twstore.Account) (twstore.Outgoing, *tw.Error) {
	o := twstore.Outgoing{To: f.Get("To"), From: f.Get("From"), Body: f.Get("Body"), StatusCallback: f.Get("StatusCallback"),
		MessagingServiceSID: f.Get("MessagingServiceSid"), Smart: f.Get("SmartEncoded") == "true"}
	switch {
	case o.To == "":
		return o, tw.NewError(tw.CodeToRequired, "A 'To' phone number is required.")
	case len(f["MediaUrl"]) > 0 || f.Get("SendAsMms") == "true":
		return o, tw.NewError(tw.CodeMediaRefused, "MediaUrl: MMS is not supported; send text")
	case f.Get("ContentSid") != "":
		return o, tw.NewError(tw.CodeUnknownParameter, "ContentSid: content templates are not supported; send a Body")
	case o.Body == "":
		return o, tw.NewError(tw.CodeBodyRequired, "Message body is required.")
	case o.MessagingServiceSID != "" && o.MessagingServiceSID != a.MessagingServiceSID:
		return o, tw.NewError(tw.CodeNotFound, "MessagingServiceSid: not this account's messaging service")
	case o.StatusCallback != "" && twstore.CheckSMSURL(o.StatusCallback) != nil:
		return o, tw.NewError(tw.CodeInvalidCallback, "StatusCallback: not an absolute http or https URL")
	}
	if v := f.Get("ValidityPeriod"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 36000 {
			return o, tw.NewError(tw.CodeInvalidValidity, "ValidityPeriod: whole seconds from 1 to 36000")
		}
		o.Validity = time.Duration(n) * time.Second
	}
	sendAt, terr := scheduled(f, h.d.Now())
	o.SendAt = sendAt
	return o, terr
}

// scheduled reads SendAt with ScheduleType=fixed; without ScheduleType
// SendAt is ignored, as Twilio does.
func scheduled(f url.Values, now time.Time) (time.Time, *tw.Error) {
	st := f.Get("ScheduleType")
	switch {
	case st == "":
		return time.Time{}, nil
	case st != "fixed":
		return time.Time{}, tw.NewError(tw.CodeScheduleType, "ScheduleType: only fixed is supported")
	case f.Get("SendAt") == "":
		return time.Time{}, tw.NewError(tw.CodeSendAtMissing, "SendAt timestamp is missing")
	}
	t, err := time.Parse(time.RFC3339, f.Get("SendAt"))
	if err != nil || !t.After(now) || t.After(now.Add(pipeline.MaxScheduleAhead)) {
		return time.Time{}, tw.NewError(tw.CodeSendAtOutOfRange, "SendAt: an ISO 8601 time in the future, at most 35 days ahead")
	}
	return t, nil
}

// sendError maps the intake's refusals to Twilio's codes; nil for an
// error that is no refusal.
func sendError(err error) *tw.Error {
	var fe *pipeline.FieldError
	var se *sender.Error
	switch {
	case errors.Is(err, consent.ErrOptedOut), errors.Is(err, consent.ErrNoMarketingConsent), errors.Is(err, consent.ErrSuppressed):
		return tw.NewError(tw.CodeUnsubscribed, "Attempt to send to unsubscribed recipient")
	case errors.As(err, &se):
		return tw.NewError(tw.CodeInvalidFrom, "Invalid 'From' Number: "+se.Error())
	case errors.Is(err, pipeline.ErrQueueUnavailable), errors.Is(err, pipeline.ErrClosed):
		return tw.NewError(tw.CodeUnavailable, "Service unavailable: the message was not queued; retry")
	case !errors.As(err, &fe):
		return nil
	}
	switch fe.Field {
	case "to":
		return tw.NewError(tw.CodeInvalidTo, "Invalid 'To' Phone Number: "+fe.Reason)
	case "from":
		return tw.NewError(tw.CodeInvalidFrom, "Invalid 'From' Number: "+fe.Reason)
	case "body":
		if strings.HasPrefix(fe.Reason, "longer") {
			return tw.NewError(tw.CodeBodyTooLong, "The concatenated message body exceeds the 1600 character limit.")
		}
		return tw.NewError(tw.CodeBodyRequired, "Body: "+fe.Reason)
	case "validity":
		return tw.NewError(tw.CodeInvalidValidity, "ValidityPeriod: "+fe.Reason)
	case "send_at":
		return tw.NewError(tw.CodeSendAtOutOfRange, "SendAt: "+fe.Reason)
	}
	return tw.NewError(tw.CodeUnknownParameter, fe.Error())
}

// fetchMessage serves GET …/Messages/{Sid}.json.
func (h *handler) fetchMessage(w http.ResponseWriter, r *http.Request, a twstore.Account) {
	m, err := h.d.Messages.Message(r.Context(), a.SID, sidParam(r))
	if h.messageError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, toJSON(m, h.d.Now()))
}

func (h *handler) messageError(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, twstore.ErrNotFound):
		writeError(w, tw.NewError(tw.CodeNotFound, "The requested resource was not found"))
	default:
		h.internal(w, err)
	}
	return true
}

// updateMessage serves POST …/Messages/{Sid}.json: Status=canceled
// withdraws a message no carrier has had yet.
func (h *handler) updateMessage(w http.ResponseWriter, r *http.Request, a twstore.Account) {
	switch {
	case r.PostForm.Has("Body"):
		writeError(w, tw.NewError(tw.CodeUnknownParameter, "Body: redacting a message is not supported"))
		return
	case r.PostForm.Get("Status") != tw.StatusCanceled:
		writeError(w, tw.NewError(tw.CodeUnknownParameter, "Status: only canceled is supported"))
		return
	}
	ctx := r.Context()
	m, err := h.d.Messages.Message(ctx, a.SID, sidParam(r))
	if h.messageError(w, err) {
		return
	}
	created, err := h.d.IDs.Check(a.Tenant, m.MessageID)
	if err == nil {
		err = h.d.Cancels.Cancel(ctx, a.Tenant, m.MessageID, created)
	}
	if errors.Is(err, pipeline.ErrNotCancelable) {
		writeError(w, tw.NewError(tw.CodeNotCancelable, "This message cannot be canceled: "+strings.TrimPrefix(err.Error(), pipeline.ErrNotCancelable.Error()+": ")))
		return
	}
	if err == nil {
		m, err = h.d.Messages.Cancel(ctx, h.d.Callbacks, a.SID, m.SID)
	}
	if h.messageError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, toJSON(m, h.d.Now()))
}
