package twilio

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tw "github.com/ternsms/tern/core/twilio"
	twstore "github.com/ternsms/tern/pipeline/twilio"
)

// listJSON is a page of the Messages list.
type listJSON struct {
	End             int           `json:"end"`
	FirstPageURI    string        `json:"first_page_uri"`
	NextPageURI     *string       `json:"next_page_uri"`
	Page            int           `json:"page"`
	PageSize        int           `json:"page_size"`
	PreviousPageURI *string       `json:"previous_page_uri"`
	Start           int           `json:"start"`
	URI             string        `json:"uri"`
	Messages        []messageJSON `json:"messages"`
}

// DefaultPageSize is a page's size when PageSize is not given.
const DefaultPageSize = 50

// pageTokenPrefix starts a PageToken: "PA" and the SID of the previous
// page's last message.
const pageTokenPrefix = "PA"

// listMessages serves GET …/Messages.json: newest first, PageSize
// (1–1000, default 50) a page, PageToken from next_page_uri (or Page to
// skip pages), filtered by To, From and DateSent (DateSent, DateSent<,
// DateSent>: a date YYYY-MM-DD or an ISO 8601 time).
func (h *handler) listMessages(w http.ResponseWriter, r *http.Request, a twstore.Account) {
	f := r.Form
	q, page, terr := listQuery(f, a.SID)
	if terr != nil {
		writeError(w, terr)
		return
	}
	list, more, err := h.d.Messages.List(r.Context(), q)
	if err != nil {
		h.internal(w, err)
		return
	}
	base := "/" + tw.APIVersion + "/Accounts/" + a.SID + "/Messages.json"
	keep := url.Values{}
	for _, k := range []string{"To", "From", "DateSent", "DateSent<", "DateSent>"} {
		if v := f.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	keep.Set("PageSize", strconv.Itoa(q.PageSize))
	out := listJSON{Page: page, PageSize: q.PageSize, Start: page * q.PageSize, Messages: []messageJSON{}}
	out.End = out.Start + len(list) - 1
	keep.Set("Page", "0")
	out.FirstPageURI = base + "?" + keep.Encode()
	out.URI = r.URL.RequestURI()
	now := h.d.Now()
	for _, m := range list {
		out.Messages = append(out.Messages, toJSON(m, now))
	}
	if more {
		keep.Set("Page", strconv.Itoa(page+1))
		keep.Set("PageToken", pageTokenPrefix+list[len(list)-1].SID)
		next := base + "?" + keep.Encode()
		out.NextPageURI = &next
	}
	writeJSON(w, http.StatusOK, out)
}

// listQuery reads a list's parameters.
func listQuery(f url.Values, account string) (twstore.ListQuery, int, *tw.Error) {
	q := twstore.ListQuery{Account: account, To: f.Get("To"), From: f.Get("From"), PageSize: DefaultPageSize}
	bad := func(reason string) (twstore.ListQuery, int, *tw.Error) {
		return q, 0, tw.NewError(tw.CodeUnknownParameter, reason)
	}
	if v := f.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > twstore.MaxPageSize {
			return bad("PageSize: 1 to 1000")
		}
		q.PageSize = n
	}
	page := 0
	if v := f.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return bad("Page: a page number from 0")
		}
		page = n
	}
	switch tok := f.Get("PageToken"); {
	case tok != "":
		if !strings.HasPrefix(tok, pageTokenPrefix) || !tw.ValidSID(tw.PrefixMessage, tok[len(pageTokenPrefix):]) {
			return bad("PageToken: not a token of this API; use next_page_uri")
		}
		q.After = tok[len(pageTokenPrefix):]
	default:
		q.Offset = page * q.PageSize
	}
	for _, d := range []struct {
		key      string
		from, to bool
	}{{"DateSent", true, true}, {"DateSent>", true, false}, {"DateSent<", false, true}} {
		v := f.Get(d.key)
		if v == "" {
			continue
		}
		start, end, ok := dateRange(v, d.from && d.to)
		if !ok {
			return bad(d.key + ": a date (YYYY-MM-DD) or an ISO 8601 time")
		}
		if d.from {
			q.SentFrom = start
		}
		if d.to {
			q.SentUntil = end
		}
	}
	return q, page, nil
}

// dateRange reads a DateSent value: a date is that UTC day, [its start,
// the next day's start). A time t bounds DateSent> and DateSent< at t
// itself (on or after, on or before); in DateSent, which asks for a day,
// it stands for its UTC day (the SDKs send times where dates are meant).
func dateRange(v string, day bool) (start, end time.Time, ok bool) {
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d, d.AddDate(0, 0, 1), true
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return start, end, false
	}
	if day {
		d := t.UTC().Truncate(24 * time.Hour)
		return d, d.AddDate(0, 0, 1), true
	}
	return t, t.Add(time.Nanosecond), true
}
