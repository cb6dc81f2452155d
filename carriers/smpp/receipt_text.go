package smpp

import (
	"strings"
	"time"
)

// ReceiptText is the content of a delivery receipt's short message in the
// format of SMPP 3.4 appendix B:
//
//	id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:…
//
// The format is informative, not normative, and carriers vary: keys are
// matched without regard to case; "submit_date", "submitdate",
// "submit-date" (and the same for done) are accepted, as are "msgid:"
// and "message_id:" for the id; dates may carry seconds or a four-digit
// year; the id may be quoted; stat may be spelled out (DELIVERED,
// UNDELIVERABLE, …) or given as a message_state number; and fields may
// be missing.
type ReceiptText struct {
	ID         string // as written; see carriers.NormalizeID
	Sub, Dlvrd string
	// SubmitDate and DoneDate are read as UTC (the text carries no zone);
	// zero when missing or unreadable.
	SubmitDate, DoneDate time.Time
	Stat                 string // upper-cased, e.g. DELIVRD
	Err                  string
	Text                 string
}

type receiptKey uint8

const (
	keyID receiptKey = iota
	keySub
	keyDlvrd
	keySubmitDate
	keyDoneDate
	keyStat
	keyErr
	keyText
)

// receiptKeys lists the keys with their colon, lower-case.
var receiptKeys = []struct {
	word string
	key  receiptKey
}{
	{"id:", keyID},
	{"msgid:", keyID},
	{"msg_id:", keyID},
	{"message_id:", keyID},
	{"sub:", keySub},
	{"dlvrd:", keyDlvrd},
	{"submit date:", keySubmitDate},
	{"submit_date:", keySubmitDate},
	{"submitdate:", keySubmitDate},
	{"submit-date:", keySubmitDate},
	{"done date:", keyDoneDate},
	{"done_date:", keyDoneDate},
	{"donedate:", keyDoneDate},
	{"done-date:", keyDoneDate},
	{"stat:", keyStat},
	{"state:", keyStat},
	{"err:", keyErr},
	{"error:", keyErr},
	{"text:", keyText},
}

// statWords maps the spellings carriers use onto the appendix B words.
var statWords = map[string]string{
	"DELIVERED":     "DELIVRD",
	"DELIVER":       "DELIVRD",
	"UNDELIVERED":   "UNDELIV",
	"UNDELIVERABLE": "UNDELIV",
	"ACCEPTED":      "ACCEPTD",
	"REJECTED":      "REJECTD",
	"EXPIRE":        "EXPIRED",
	"DELETE":        "DELETED",
	"EN_ROUTE":      "ENROUTE",
	"FAILED":        "UNDELIV",
}

// normalizeStat returns the appendix B word for a stat as written.
func normalizeStat(v string) string {
	v = strings.ToUpper(v)
	if w, ok := statWords[v]; ok {
		return w
	}
	if len(v) == 1 && v[0] >= '1' && v[0] <= '8' {
		return MessageState(v[0] - '0').Stat()
	}
	return v
}

// ParseReceiptText reads a receipt text. It fails with ErrNoReceipt only
// when the text holds neither an id nor a stat; unknown fields are
// skipped, unreadable dates left zero, and a repeated id or stat keeps
// its last non-empty value.
func ParseReceiptText(s string) (ReceiptText, error) {
	var r ReceiptText
	for i := 0; i < len(s); {
		if isSpace(s[i]) {
			i++
			continue
		}
		key, n := matchKey(s[i:])
		if n == 0 {
			for i < len(s) && !isSpace(s[i]) {
				i++
			}
			continue
		}
		i += n
		if key == keyText {
			r.Text = s[i:]
			break
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		v := s[i:j]
		i = j
		switch key {
		case keyID:
			if v = strings.Trim(v, `"'`); v != "" {
				r.ID = v
			}
		case keySub:
			r.Sub = v
		case keyDlvrd:
			r.Dlvrd = v
		case keySubmitDate:
			r.SubmitDate = parseReceiptDate(v)
		case keyDoneDate:
			r.DoneDate = parseReceiptDate(v)
		case keyStat:
			if v != "" {
				r.Stat = normalizeStat(v)
			}
		case keyErr:
			r.Err = v
		}
	}
	if r.ID == "" && r.Stat == "" {
		return r, ErrNoReceipt
	}
	return r, nil
}

func matchKey(s string) (receiptKey, int) {
	for _, k := range receiptKeys {
		if len(s) >= len(k.word) && strings.EqualFold(s[:len(k.word)], k.word) {
			return k.key, len(k.word)
		}
	}
	return 0, 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// parseReceiptDate reads YYMMDDhhmm, YYMMDDhhmmss or YYYYMMDDhhmmss.
func parseReceiptDate(v string) time.Time {
	var layout string
	switch len(v) {
	case 10:
		layout = "0601021504"
	case 12:
		layout = "060102150405"
	case 14:
		layout = "20060102150405"
	default:
		return time.Time{}
	}
	if !isDigits(v) {
		return time.Time{}
	}
	t, err := time.ParseInLocation(layout, v, time.UTC)
	if err != nil {
		return time.Time{}
	}
	return t
}

// FormatReceiptText writes r in the appendix B format, with dates to the
// second. Text is cut to 20 characters as the appendix suggests.
func FormatReceiptText(r ReceiptText) string {
	text, n := r.Text, 0
	for i := range text {
		if n == 20 {
			text = text[:i]
			break
		}
		n++
	}
	var b strings.Builder
	b.Grow(120 + len(r.ID))
	b.WriteString("id:")
	b.WriteString(r.ID)
	b.WriteString(" sub:")
	b.WriteString(r.Sub)
	b.WriteString(" dlvrd:")
	b.WriteString(r.Dlvrd)
	b.WriteString(" submit date:")
	b.WriteString(formatReceiptDate(r.SubmitDate))
	b.WriteString(" done date:")
	b.WriteString(formatReceiptDate(r.DoneDate))
	b.WriteString(" stat:")
	b.WriteString(r.Stat)
	b.WriteString(" err:")
	b.WriteString(r.Err)
	b.WriteString(" text:")
	b.WriteString(text)
	return b.String()
}

func formatReceiptDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("060102150405")
}
