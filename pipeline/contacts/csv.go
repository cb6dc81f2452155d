package contacts

import (
	"bytes"
	"errors"
)

// MaxRowBytes bounds one CSV row. A longer one (or a quoted field never
// closed) is rejected, and the file resumes at the next line.
const MaxRowBytes = 64 << 10

// MaxColumns bounds a row's fields.
const MaxColumns = 200

// record is one CSV record as scanRecord read it.
type record struct {
	fields []string
	// lines is how many line ends the record took: 1 for a record on one
	// line, more when quoted fields hold line breaks, 0 for the file's
	// last record without a final line end.
	lines int
	// err says why the record is malformed; fields are then incomplete.
	err error
	// blank is an empty line, which is no record.
	blank bool
}

var (
	errUnclosedQuote = errors.New("a quoted field is not closed")
	errAfterQuote    = errors.New("a character follows a closing quote")
	errTooManyFields = errors.New("more than 200 columns")
)

// scanRecord reads the record at the start of buf (RFC 4180: fields
// separated by commas, optionally in double quotes with "" for a quote;
// lines end in LF or CRLF). It returns the record and the bytes it took,
// or complete false when buf holds only the start of a record and more
// may follow (final false). With final true, the end of buf ends the
// record. A quote inside an unquoted field is taken as a character. It
// never takes more than buf and, when complete, at least one byte.
func scanRecord(buf []byte, final bool) (r record, n int, complete bool) {
	if len(buf) == 0 {
		return r, 0, false
	}
	if buf[0] == '\n' || (buf[0] == '\r' && len(buf) > 1 && buf[1] == '\n') {
		return record{blank: true, lines: 1}, bytes.IndexByte(buf, '\n') + 1, true
	}
	var field []byte
	i := 0
	for {
		if len(r.fields) >= MaxColumns {
			r.err = errTooManyFields
			return skipLine(buf, i, r, final)
		}
		if i < len(buf) && buf[i] == '"' {
			var ok bool
			field, i, ok = quoted(buf, i+1, field[:0], &r)
			if !ok { // a closing quote, then a lone CR at the end of buf
				if !final {
					return r, 0, false
				}
				r.fields = append(r.fields, string(field))
				return r, len(buf), true
			}
			if r.err != nil {
				if r.err == errUnclosedQuote {
					if !final {
						return r, 0, false
					}
					return r, len(buf), true
				}
				return skipLine(buf, i, r, final)
			}
		} else {
			j := bytes.IndexAny(buf[i:], ",\n")
			if j < 0 {
				if !final {
					return r, 0, false
				}
				r.fields = append(r.fields, string(trimCR(buf[i:])))
				return r, len(buf), true
			}
			field = append(field[:0], buf[i:i+j]...)
			i += j
			if buf[i] == '\n' {
				field = trimCR(field)
			}
		}
		r.fields = append(r.fields, string(field))
		if i == len(buf) {
			if !final {
				return r, 0, false
			}
			return r, len(buf), true
		}
		if buf[i] == '\n' {
			r.lines++
			return r, i + 1, true
		}
		i++ // the comma
		if i == len(buf) && final {
			r.fields = append(r.fields, "")
			return r, len(buf), true
		}
	}
}

// quoted reads a quoted field's content from buf[i:] (after its opening
// quote) into field, up to and past its closing quote. ok false: more
// input may change the answer. r.err is set for a field never closed
// (i is then len(buf)) or followed by something other than a comma or a
// line end (i at that character).
func quoted(buf []byte, i int, field []byte, r *record) ([]byte, int, bool) {
	for {
		j := bytes.IndexByte(buf[i:], '"')
		if j < 0 {
			r.lines += bytes.Count(buf[i:], []byte{'\n'})
			r.err = errUnclosedQuote
			return field, len(buf), true
		}
		r.lines += bytes.Count(buf[i:i+j], []byte{'\n'})
		field = append(field, buf[i:i+j]...)
		i += j + 1
		if i == len(buf) {
			return field, i, true // the end decides: the caller asks for more or ends here
		}
		switch c := buf[i]; {
		case c == '"':
			field = append(field, '"')
			i++
		case c == ',' || c == '\n':
			return field, i, true
		case c == '\r' && i+1 < len(buf) && buf[i+1] == '\n':
			return field, i + 1, true
		case c == '\r' && i+1 == len(buf):
			return field, i, false
		default:
			r.err = errAfterQuote
			return field, i, true
		}
	}
}

// skipLine ends a malformed record at the next line end at or after i.
func skipLine(buf []byte, i int, r record, final bool) (record, int, bool) {
	j := bytes.IndexByte(buf[i:], '\n')
	if j < 0 {
		if !final {
			return r, 0, false
		}
		return r, len(buf), true
	}
	r.lines++
	return r, i + j + 1, true
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}
