package twilio

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	tw "github.com/ternsms/tern/core/twilio"
	"github.com/ternsms/tern/core/verify"
	twstore "github.com/ternsms/tern/pipeline/twilio"
	verifysvc "github.com/ternsms/tern/pipeline/verify"
)

// verificationJSON is a Verification resource as Verify v2 writes it.
type verificationJSON struct {
	SID              string           `json:"sid"`
	ServiceSID       string           `json:"service_sid"`
	AccountSID       string           `json:"account_sid"`
	To               string           `json:"to"`
	Channel          string           `json:"channel"`
	Status           string           `json:"status"`
	Valid            bool             `json:"valid"`
	Lookup           map[string]any   `json:"lookup"`
	Amount           *string          `json:"amount"`
	Payee            *string          `json:"payee"`
	SendCodeAttempts []map[string]any `json:"send_code_attempts"`
	DateCreated      string           `json:"date_created"`
	DateUpdated      string           `json:"date_updated"`
	SNA              any              `json:"sna"`
	URL              string           `json:"url"`
}

// checkJSON is a VerificationCheck resource.
type checkJSON struct {
	SID                   string  `json:"sid"`
	ServiceSID            string  `json:"service_sid"`
	AccountSID            string  `json:"account_sid"`
	To                    string  `json:"to"`
	Channel               string  `json:"channel"`
	Status                string  `json:"status"`
	Valid                 bool    `json:"valid"`
	Amount                *string `json:"amount"`
	Payee                 *string `json:"payee"`
	DateCreated           string  `json:"date_created"`
	DateUpdated           string  `json:"date_updated"`
	SNAAttemptsErrorCodes []any   `json:"sna_attempts_error_codes"`
}

func verificationOut(r *http.Request, a twstore.Account, v verifysvc.Verification) verificationJSON {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	j := verificationJSON{SID: v.ID, ServiceSID: a.VerifyServiceSID, AccountSID: a.SID, To: v.To, Channel: v.Channel, Status: v.Status.String(),
		Valid: v.Status == verify.StatusApproved, Lookup: map[string]any{"carrier": nil}, DateCreated: v.Created.UTC().Format(time.RFC3339),
		DateUpdated: v.Updated.UTC().Format(time.RFC3339), URL: scheme + "://" + r.Host + "/v2/Services/" + a.VerifyServiceSID + "/Verifications/" + v.ID}
	for i := range v.Sends {
		at := v.Created
		if i == v.Sends-1 {
			at = v.Updated
		}
		j.SendCodeAttempts = append(j.SendCodeAttempts, map[string]any{"attempt_sid": attemptSID(v.ID, i), "channel": v.Channel,
			"time": at.UTC().Format(time.RFC3339)})
	}
	return j
}

// attemptSID names a verification's i-th send: "VL" and the
// verification's hex with its last digit turned by i.
func attemptSID(id string, i int) string {
	h := []byte(id[2:])
	h[len(h)-1] = "0123456789abcdef"[(strings.IndexByte("0123456789abcdef", h[len(h)-1])+i)%16]
	return "VL" + string(h)
}

// service checks the path's ServiceSid is a's Verify service.
func (h *handler) service(w http.ResponseWriter, r *http.Request, a twstore.Account) bool {
	if h.d.Verify == nil || r.PathValue("ServiceSid") != a.VerifyServiceSID {
		writeError(w, tw.NewError(tw.CodeNotFound, "The requested resource was not found: not this account's Verify service"))
		return false
	}
	return true
}

// startVerification serves POST /v2/Services/{ServiceSid}/Verifications.
func (h *handler) startVerification(w http.ResponseWriter, r *http.Request, a twstore.Account) {
	if !h.service(w, r, a) {
		return
	}
	f := r.PostForm
	switch {
	case f.Get("To") == "":
		writeError(w, tw.NewError(tw.CodeInvalidParameter, "Invalid parameter `To`: required"))
		return
	case f.Get("Channel") == "":
		writeError(w, tw.NewError(tw.CodeInvalidParameter, "Invalid parameter `Channel`: required (sms)"))
		return
	case f.Get("CustomCode") != "":
		writeError(w, tw.NewError(tw.CodeInvalidParameter, "Invalid parameter `CustomCode`: custom codes are not supported"))
		return
	}
	st, err := h.d.Verify.Start(r.Context(), verifysvc.StartRequest{Tenant: a.Tenant, To: f.Get("To"), Channel: f.Get("Channel"), Locale: f.Get("Locale")})
	if err != nil {
		h.verifyError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, verificationOut(r, a, st.Verification))
}

// checkVerification serves POST /v2/Services/{ServiceSid}/VerificationCheck.
// A wrong code answers status pending; an expired, canceled or approved
// verification, or none, 20404; the check after the last one allowed
// 60202.
func (h *handler) checkVerification(w http.ResponseWriter, r *http.Request, a twstore.Account) {
	if !h.service(w, r, a) {
		return
	}
	f := r.PostForm
	if f.Get("To") == "" && f.Get("VerificationSid") == "" {
		writeError(w, tw.NewError(tw.CodeInvalidParameter, "Invalid parameter: give `To` or `VerificationSid`"))
		return
	}
	c, err := h.d.Verify.Check(r.Context(), verifysvc.CheckRequest{Tenant: a.Tenant, ID: f.Get("VerificationSid"), To: f.Get("To"), Code: f.Get("Code")})
	switch {
	case err != nil:
		h.verifyError(w, err)
		return
	case c.Outcome == verify.StatusMaxAttemptsReached:
		writeError(w, tw.NewError(tw.CodeMaxChecks, "Max check attempts reached"))
		return
	case c.Outcome != verify.StatusApproved && c.Outcome != verify.StatusPending:
		writeError(w, tw.NewError(tw.CodeNotFound, "The requested resource was not found: the verification is "+c.Outcome.String()))
		return
	}
	writeJSON(w, http.StatusOK, checkJSON{SID: c.ID, ServiceSID: a.VerifyServiceSID, AccountSID: a.SID, To: c.To, Channel: c.Channel,
		Status: c.Outcome.String(), Valid: c.Outcome == verify.StatusApproved, DateCreated: c.Created.UTC().Format(time.RFC3339),
		DateUpdated: c.Updated.UTC().Format(time.RFC3339), SNAAttemptsErrorCodes: []any{}})
}

// fetchVerification serves GET /v2/Services/{ServiceSid}/Verifications/{Sid}.
func (h *handler) fetchVerification(w http.ResponseWriter, r *http.Request, a twstore.Account) {
	if !h.service(w, r, a) {
		return
	}
	v, err := h.d.Verify.Get(r.Context(), a.Tenant, r.PathValue("Sid"))
	if err != nil {
		h.verifyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, verificationOut(r, a, v))
}

// updateVerification serves POST /v2/Services/{ServiceSid}/Verifications/{Sid}
// with Status=canceled.
func (h *handler) updateVerification(w http.ResponseWriter, r *http.Request, a twstore.Account) {
	if !h.service(w, r, a) {
		return
	}
	if s := r.PostForm.Get("Status"); s != "canceled" {
		writeError(w, tw.NewError(tw.CodeInvalidParameter, "Invalid parameter `Status`: only canceled is supported"))
		return
	}
	v, err := h.d.Verify.Cancel(r.Context(), a.Tenant, r.PathValue("Sid"))
	if err != nil {
		h.verifyError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, verificationOut(r, a, v))
}

// verifyError answers the verification service's errors with Verify's
// codes.
func (h *handler) verifyError(w http.ResponseWriter, err error) {
	var fe *verify.FieldError
	var we *verifysvc.WaitError
	switch {
	case errors.As(err, &fe):
		writeError(w, tw.NewError(tw.CodeInvalidParameter, "Invalid parameter `"+twilioParam(fe.Field)+"`: "+fe.Reason))
	case errors.Is(err, verify.ErrCountryNotEnabled):
		writeError(w, tw.NewError(tw.CodeGeoPermission, "Verification delivery attempt blocked: "+err.Error()))
	case errors.Is(err, verify.ErrPrefixBlocked):
		writeError(w, tw.NewError(tw.CodeFraudGuard, "Verification delivery attempt blocked: "+err.Error()))
	case errors.As(err, &we):
		w.Header().Set("Retry-After", retryAfter(we.Wait))
		writeError(w, tw.NewError(tw.CodeMaxSends, "Max send attempts reached: "+err.Error()))
	case errors.Is(err, verifysvc.ErrNotFound), errors.Is(err, verify.ErrApproved), errors.Is(err, verifysvc.ErrNotPending),
		errors.Is(err, verifysvc.ErrUnknownTenant):
		writeError(w, tw.NewError(tw.CodeNotFound, "The requested resource was not found"))
	default:
		if terr := sendError(err); terr != nil {
			writeError(w, terr)
			return
		}
		h.internal(w, err)
	}
}

// twilioParam is the Verify parameter a field error of the service is
// about.
func twilioParam(field string) string {
	switch field {
	case "to":
		return "To"
	case "channel":
		return "Channel"
	case "locale":
		return "Locale"
	case "code":
		return "Code"
	case "id":
		return "VerificationSid"
	}
	return field
}

func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(int((d+time.Second-1)/time.Second), 1))
}
