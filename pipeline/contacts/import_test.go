package contacts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	consentlog "github.com/ternsms/tern/pipeline/consent"
)

// testFile is a CSV file of n data rows with bad rows of several kinds
// at known places; bad maps their row numbers (the header is row 1) to a
// word their error must hold.
func testFile(n int) (file []byte, bad map[int64]string) {
	var b bytes.Buffer
	b.WriteString("\xef\xbb\xbfPhone,First Name,last_name,Language,consent,City,tags\r\n")
	bad = map[int64]string{}
	for i := range n {
		row := int64(i + 2)
		num := fmt.Sprintf("+1415%07d", 2000000+i)
		consentCell := "yes"
		if i%3 == 0 {
			consentCell = "no"
		}
		line := fmt.Sprintf("%s,Name%d,Last,en,%s,\"City, %d\",a;b\r\n", num, i, consentCell, i)
		switch {
		case i%271 == 5:
			line, bad[row] = "+1999,X,Y,en,yes,C,\r\n", "phone: not a valid"
		case i%271 == 50:
			line, bad[row] = num+",X,Y,en\r\n", "4 columns, the header has 7"
		case i%271 == 100:
			line, bad[row] = num+",X\xff\xfe,Y,en,yes,C,\r\n", "First Name: not valid UTF-8"
		case i%271 == 150 && i > 0:
			line, bad[row] = fmt.Sprintf("+1415%07d,Dup,Y,en,yes,C,\r\n", 2000000+i-1), fmt.Sprintf("duplicate of row %d", row-1)
		case i%271 == 200:
			line, bad[row] = num+",X,Y,en,maybe,C,\r\n", "consent:"
		case i%271 == 250:
			line, bad[row] = num+",\"X\"Y,Z,en,yes,C,\r\n", "not valid CSV"
		}
		b.WriteString(line)
	}
	return b.Bytes(), bad
}

// send imports file[from:to] in chunks of size step, as a client would,
// and returns the last progress; the chunk that reaches the file's end
// says so.
func send(t *testing.T, ctx context.Context, s *Store, o ImportOptions, file []byte, from, to int64, step int) Progress {
	t.Helper()
	var p Progress
	for off := from; ; {
		end := min(off+int64(step), to)
		var err error
		p, err = s.ImportChunk(ctx, "shop-1", o, off, file[off:end], end == int64(len(file)))
		if err != nil {
			t.Fatalf("chunk at %d: %v", off, err)
		}
		if end == to {
			return p
		}
		off = p.BytesReceived
	}
}

// TestImport: every bad row is reported by its number with a reason, the
// rest are stored with their consent and list, and the import is the
// same whatever the chunk size, sent twice, or resumed by another
// instance.
func TestImport(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	file, bad := testFile(3000)
	o := ImportOptions{ID: "spring-list", List: "Spring", ConsentSource: "spring.csv"}
	// Half the file through one store, the rest through another, as after
	// a restart; chunk boundaries fall anywhere, also inside quotes.
	half := send(t, ctx, e.store, o, file, 0, int64(len(file)/2), 7001)
	other, err := Open(ctx, e.url, consentlog.NewHasher([]byte("contacts-test")), WithConsent(e.ledger))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	p := send(t, ctx, other, o, file, half.BytesReceived-100, int64(len(file)), 4093)
	want := int64(3000 - len(bad))
	if !p.Done || p.RowsRead != 3000 || p.Imported != want || p.Rejected != int64(len(bad)) || p.BytesReceived != int64(len(file)) {
		t.Fatalf("progress %+v, want %d imported and %d rejected", p, want, len(bad))
	}
	var got []RowError
	for after := int64(0); ; {
		page, err := e.store.ImportErrors(ctx, "shop-1", o.ID, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if len(page) < 7 {
			break
		}
		after = page[len(page)-1].Row
	}
	if len(got) != len(bad) {
		t.Fatalf("%d row errors, want %d: %+v", len(got), len(bad), got)
	}
	for _, re := range got {
		if w, ok := bad[re.Row]; !ok || !strings.Contains(re.Error, w) || strings.Contains(re.Error, "+1415200") || strings.Contains(re.Error, "+1999") {
			t.Errorf("row %d: %q, want %q (and no number)", re.Row, re.Error, w)
		}
	}
	// Sent again, whole or in part: nothing changes.
	for _, step := range []int{len(file), 10000} {
		again := send(t, ctx, e.store, o, file, 0, int64(len(file)), step)
		if again.Imported != want || again.Rejected != int64(len(bad)) {
			t.Fatalf("repeated import changed the counts: %+v", again)
		}
	}
	checkImported(t, ctx, e, p, want)
}

// checkImported checks the contacts, list and consent an import left.
func checkImported(t *testing.T, ctx context.Context, e env, p Progress, want int64) {
	t.Helper()
	total, sendable, err := e.store.Count(ctx, "shop-1", Audience{ListIDs: []int64{p.ListID}}, core.CategoryMarketing)
	if err != nil || total != want {
		t.Fatalf("list holds %d, %v; want %d", total, err, want)
	}
	var yes int64
	for i := range 3000 {
		if i%3 != 0 && i%271 != 5 && i%271 != 50 && i%271 != 100 && !(i%271 == 150 && i > 0) && i%271 != 200 && i%271 != 250 {
			yes++
		}
	}
	if sendable != yes || p.ConsentRecorded != yes {
		t.Fatalf("%d sendable and %d consents recorded, want %d", sendable, p.ConsentRecorded, yes)
	}
	c, err := e.store.GetByPhone(ctx, "shop-1", "+14152000001")
	if err != nil || c.FirstName != "Name1" || c.Attributes["City"] != "City, 1" || !slices.Equal(c.Tags, []string{"a", "b"}) ||
		c.Language != "en" || !c.Consent.Marketing || c.TimeZone != "America/Los_Angeles" {
		t.Fatalf("imported contact %+v, %v", c, err)
	}
	evs, err := e.ledger.Events(ctx, "shop-1", "+14152000001")
	if err != nil || len(evs) != 1 || evs[0].Method != consentlog.MethodImport || evs[0].Source != "spring.csv" {
		t.Fatalf("consent trail %+v, %v", evs, err)
	}
	if err := consent.Decide(core.CategoryMarketing, c.Consent); err != nil {
		t.Fatalf("imported opt-in does not allow marketing: %v", err)
	}
}

func TestImportRefusals(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	s := e.store
	tests := []struct {
		name string
		o    ImportOptions
		data string
		want string
	}{
		{"no import id", ImportOptions{}, "phone\n", "import_id:"},
		{"no phone column", ImportOptions{ID: "a"}, "name,email\nx,y\n", "header: no phone column"},
		{"header twice", ImportOptions{ID: "b"}, "phone,Phone\n", "appears twice"},
		{"consent without a source", ImportOptions{ID: "c"}, "phone,consent\n+14155550100,yes\n", "consent_source: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.ImportChunk(ctx, "shop-1", tt.o, 0, []byte(tt.data), true)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ImportChunk = %v, want %q", err, tt.want)
			}
		})
	}
	if n, _, _ := s.Count(ctx, "shop-1", Audience{}, core.CategoryMarketing); n != 0 {
		t.Fatalf("refused chunks stored %d contacts", n)
	}
	o := ImportOptions{ID: "gap"}
	if _, err := s.ImportChunk(ctx, "shop-1", o, 0, []byte("phone\n+14155550100\n"), false); err != nil {
		t.Fatal(err)
	}
	var gap *GapError
	if _, err := s.ImportChunk(ctx, "shop-1", o, 100, []byte("+14155550101\n"), false); !errors.As(err, &gap) || gap.Expected != 19 {
		t.Fatalf("chunk past the end: %v", err)
	}
	if _, err := s.ImportChunk(ctx, "shop-1", ImportOptions{ID: "gap", List: "other"}, 19, nil, true); !errors.Is(err, ErrInvalid) {
		t.Fatalf("changed options: %v", err)
	}
	p, err := s.ImportChunk(ctx, "shop-1", o, 19, []byte("+14155550101"), true)
	if err != nil || !p.Done || p.Imported != 2 {
		t.Fatalf("last chunk without a final newline: %+v, %v", p, err)
	}
	if _, err := s.ImportChunk(ctx, "shop-1", o, 31, []byte("x"), true); !errors.Is(err, ErrImportDone) {
		t.Fatalf("data after the end: %v", err)
	}
	// A row over the limit is rejected and the next line is read.
	long := "phone,note\n+14155550102," + strings.Repeat("x", MaxRowBytes) + "\n+14155550103,ok\n"
	p, err = s.ImportChunk(ctx, "shop-1", ImportOptions{ID: "long"}, 0, []byte(long), true)
	if err != nil || p.Imported != 1 || p.Rejected != 1 {
		t.Fatalf("long row: %+v, %v", p, err)
	}
	if errs, _ := s.ImportErrors(ctx, "shop-1", "long", 0, 10); len(errs) != 1 || errs[0].Row != 2 || !strings.Contains(errs[0].Error, "longer than") {
		t.Fatalf("long row error %+v", errs)
	}
}
