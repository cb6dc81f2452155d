package link

import (
	"reflect"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		want       []string
	}{
		{"one", "Sale: https://shop.example/sale?x=1 today", []string{"https://shop.example/sale?x=1"}},
		{"trailing punctuation", "See https://shop.example/a. Or (http://b.example/x).", []string{"https://shop.example/a", "http://b.example/x"}},
		{"two", "https://a.example https://b.example/p", []string{"https://a.example", "https://b.example/p"}},
		{"none", "no links here, www.example.com is not one", nil},
		{"scheme alone", "https:// and http://", nil},
		{"inside a placeholder", `Hi {{name|"https://x.example"}} see https://y.example`, []string{"https://y.example"}},
		{"stops at a placeholder", "https://shop.example/{{code}}", []string{"https://shop.example/"}},
		{"not inside a word", "xhttps://a.example", nil},
		{"upper case scheme", "HTTPS://A.EXAMPLE/X", []string{"HTTPS://A.EXAMPLE/X"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, s := range Find(tt.text) {
				if tt.text[s.Start:s.End] != s.URL {
					t.Fatalf("span %+v does not match the text", s)
				}
				got = append(got, s.URL)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Find = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReplace(t *testing.T) {
	t.Parallel()
	text, urls := Replace("Hola https://a.example y https://b.example y https://a.example", nil)
	if text != "Hola {{_link.0}} y {{_link.1}} y {{_link.0}}" || !reflect.DeepEqual(urls, []string{"https://a.example", "https://b.example"}) {
		t.Fatalf("Replace = %q %q", text, urls)
	}
	text, urls = Replace("Hi https://b.example and https://c.example", urls)
	if text != "Hi {{_link.1}} and {{_link.2}}" || len(urls) != 3 {
		t.Fatalf("second variant: %q %q", text, urls)
	}
}

func TestCode(t *testing.T) {
	t.Parallel()
	c := NewCoder([]byte("secret"))
	a := c.Code("cmp-1", 42, 0, 0)
	if !Valid(a) || a != c.Code("cmp-1", 42, 0, 0) {
		t.Fatalf("code %q not stable or not valid", a)
	}
	seen := map[string]bool{a: true}
	for _, other := range []string{c.Code("cmp-1", 43, 0, 0), c.Code("cmp-1", 42, 1, 0), c.Code("cmp-2", 42, 0, 0),
		c.Code("cmp-1", 42, 0, 1), NewCoder([]byte("other")).Code("cmp-1", 42, 0, 0)} {
		if seen[other] || !Valid(other) {
			t.Fatalf("code %q repeats or is invalid", other)
		}
		seen[other] = true
	}
	for _, bad := range []string{"", "abc", strings.Repeat("a", 11), "abcdefghi!", "abcdefghi/"} {
		if Valid(bad) {
			t.Errorf("Valid(%q)", bad)
		}
	}
	if Short("http://127.0.0.1:8080/l", "AbC") != "http://127.0.0.1:8080/l/AbC" || Short("https://t.example/", "x") != "https://t.example/x" {
		t.Fatal("Short")
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"https://a.example/x.", "{{a}}https://b", "http://{{", "xhttp://y", "https://" + strings.Repeat("a", 3000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		last := 0
		for _, s := range Find(text) {
			if s.Start < last || s.End <= s.Start || text[s.Start:s.End] != s.URL || !hasScheme(s.URL) {
				t.Fatalf("bad span %+v in %q", s, text)
			}
			last = s.End
		}
		out, urls := Replace(text, nil)
		for i := range urls {
			if !strings.Contains(out, "{{"+Placeholder(i)+"}}") {
				t.Fatalf("placeholder %d missing from %q", i, out)
			}
		}
	})
}
