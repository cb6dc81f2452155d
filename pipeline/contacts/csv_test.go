package contacts

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// scanAll reads every record of in, in pieces of size step (0: at once),
// as an import reads a file arriving in chunks.
func scanAll(in []byte, step int) []record {
	var out []record
	var buf []byte
	for off := 0; ; {
		end := len(in)
		if step > 0 {
			end = min(off+step, len(in))
		}
		buf = append(buf, in[off:end]...)
		off = end
		final := off == len(in)
		for {
			r, n, ok := scanRecord(buf, final)
			if !ok {
				break
			}
			out = append(out, r)
			buf = buf[n:]
		}
		if final {
			return out
		}
	}
}

func TestScanRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  [][]string
		lines []int
		errs  []bool
	}{
		{"plain", "a,b\nc,d\n", [][]string{{"a", "b"}, {"c", "d"}}, []int{1, 1}, nil},
		{"crlf and no final newline", "a,b\r\nc,d", [][]string{{"a", "b"}, {"c", "d"}}, []int{1, 0}, nil},
		{"quoted comma, quote and newline", "\"a,1\",\"say \"\"hi\"\"\",\"x\ny\"\nz\n", [][]string{{"a,1", `say "hi"`, "x\ny"}, {"z"}}, []int{2, 1}, nil},
		{"empty fields", ",,\n\"\",x\n", [][]string{{"", "", ""}, {"", "x"}}, []int{1, 1}, nil},
		{"trailing comma at the end", "a,", [][]string{{"a", ""}}, []int{0}, nil},
		{"blank lines", "a\n\n\r\nb\n", [][]string{{"a"}, nil, nil, {"b"}}, []int{1, 1, 1, 1}, nil},
		{"quote inside an unquoted field", "5'11\",x\n", [][]string{{`5'11"`, "x"}}, []int{1}, nil},
		{"character after a closing quote", "\"a\"b,c\nd\n", [][]string{{}, {"d"}}, []int{1, 1}, []bool{true, false}},
		{"quote never closed", "a,\"b\nc\n", [][]string{{"a"}}, []int{2}, []bool{true}},
		{"quoted then CR at the end", "\"a\"\r", [][]string{{"a"}}, []int{0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, step := range []int{0, 1, 2, 3, 7} {
				got := scanAll([]byte(tt.in), step)
				if len(got) != len(tt.want) {
					t.Fatalf("step %d: %d records %+v, want %d", step, len(got), got, len(tt.want))
				}
				for i, r := range got {
					bad := tt.errs != nil && tt.errs[i]
					if (r.err != nil) != bad || r.lines != tt.lines[i] || (!bad && !reflect.DeepEqual(r.fields, tt.want[i])) {
						t.Fatalf("step %d record %d = %+v, want %q lines %d err %v", step, i, r, tt.want[i], tt.lines[i], bad)
					}
				}
			}
		})
	}
}

// FuzzScanRecord: any input is read to its end without panics, in
// whatever pieces it arrives, with the same records each way; what
// encoding/csv writes reads back as written.
func FuzzScanRecord(f *testing.F) {
	for _, s := range []string{"phone,first_name\n+14155550100,Sara\n", "a,\"b\nc\",d\r\n", "\"\"\"\",x", "\"a\"b\n", "\"", ",\n,", "a\r\r\n\"\r"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		if len(in) > 4096 {
			return // piece by piece is quadratic in the test's reading
		}
		whole := scanAll(in, 0)
		pieces := scanAll(in, int(step%16)+1)
		if !reflect.DeepEqual(whole, pieces) {
			t.Fatalf("records differ by piece size:\n%+v\n%+v", whole, pieces)
		}
		lines := 0
		for _, r := range whole {
			lines += r.lines
		}
		if want := bytes.Count(in, []byte{'\n'}); lines > want {
			t.Fatalf("%d lines counted, input has %d", lines, want)
		}
		if !utf8.Valid(in) || bytes.ContainsAny(in, "\r") {
			return
		}
		// Round trip: fields written by encoding/csv read back.
		fields := strings.Split(string(in), "\x00")
		if len(fields) > MaxColumns {
			return
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.Write(fields); err != nil {
			return
		}
		w.Flush()
		got := scanAll(b.Bytes(), int(step%16)+1)
		if len(fields) == 1 && fields[0] == "" {
			return // encoding/csv writes a lone empty field as a blank line
		}
		if len(got) != 1 || got[0].err != nil || !reflect.DeepEqual(got[0].fields, fields) {
			t.Fatalf("round trip of %q via %q: %+v", fields, b.String(), got)
		}
	})
}
