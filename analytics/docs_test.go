package analytics_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ternsms/tern/analytics/chtest"
)

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// TestDocQueries runs every SQL example of docs/analytics.md against
// ClickHouse holding a known mix, in the test's database for tenant t1:
// the documented views and queries work.
func TestDocQueries(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../docs/analytics.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := sqlBlock.FindAllStringSubmatch(string(b), -1)
	if len(blocks) < 10 {
		t.Fatalf("docs/analytics.md has %d SQL examples, want at least 10", len(blocks))
	}
	s := chtest.Store(t)
	if err := s.Record(t.Context(), mixRows(newMix(100, "spring-sale", t0))); err != nil {
		t.Fatal(err)
	}
	conn := rawConn(t, s)
	for _, blk := range blocks {
		q := strings.NewReplacer("tern.", s.Database()+".", "'shop-1'", "'t1'").Replace(blk[1])
		rows, err := conn.Query(t.Context(), q)
		if err != nil {
			t.Errorf("%v\n%s", err, blk[1])
			continue
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%v\n%s", err, blk[1])
		}
		rows.Close()
	}
}
