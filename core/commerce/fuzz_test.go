package commerce

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// addSeeds adds every testdata payload of dir under each topic.
func addSeeds(f *testing.F, dir string, topics ...string) {
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, t := range topics {
			f.Add(t, b)
		}
	}
}

// fuzzParse checks that a parser never panics, that an event it
// accepts is either checkable or refused with a FieldError, and that
// its errors are the package's.
func fuzzParse(t *testing.T, parse func(string, []byte) (Event, bool, error), topic string, body []byte) {
	e, ok, err := parse(topic, body)
	if err != nil {
		if ok {
			t.Fatalf("ok with error %v", err)
		}
		return
	}
	if !ok {
		return
	}
	if _, err := e.Check(time.Now().Add(100 * 365 * 24 * time.Hour)); err != nil {
		if _, is := err.(*FieldError); !is {
			t.Fatalf("Check error %T %v", err, err)
		}
	}
}

func FuzzParseShopify(f *testing.F) {
	topics := make([]string, 0, len(shopifyTopics))
	for t := range shopifyTopics {
		topics = append(topics, t)
	}
	addSeeds(f, "shopify", topics...)
	f.Fuzz(func(t *testing.T, topic string, body []byte) { fuzzParse(t, ParseShopify, topic, body) })
}

func FuzzParseWooCommerce(f *testing.F) {
	addSeeds(f, "woocommerce", "order.created", "order.updated", "customer.created")
	f.Fuzz(func(t *testing.T, topic string, body []byte) { fuzzParse(t, ParseWooCommerce, topic, body) })
}
