package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/pipeline"
)

// file makes the CSV file row by row as it is read.
type file struct {
	rows, next int
	header     bool
	pending    []byte // the rest of a row a chunk did not take
}

func newFile(rows int) *file { return &file{rows: rows} }

// fill appends to buf up to size bytes of the file.
func (f *file) fill(buf []byte, size int) []byte {
	if !f.header {
		f.header = true
		f.pending = append(f.pending, "phone,first_name,last_name,language,consent,city,tags\n"...)
	}
	for len(buf) < size {
		if len(f.pending) == 0 {
			if f.next == f.rows {
				break
			}
			f.pending = f.row(f.pending[:0], f.next)
			f.next++
		}
		n := min(size-len(buf), len(f.pending))
		buf = append(buf, f.pending[:n]...)
		f.pending = f.pending[n:]
	}
	return buf
}

func (f *file) done() bool { return f.next == f.rows && len(f.pending) == 0 }

// row is data row i: distinct valid US numbers, consent yes for two rows
// in three.
func (f *file) row(b []byte, i int) []byte {
	consent := "yes"
	if i%3 == 0 {
		consent = "no"
	}
	return fmt.Appendf(b, "+1415%07d,First%d,Last%d,en,%s,\"City %d\",vip;b%d\n", 2000000+i, i, i, consent, i%1000, i%7)
}

type noSender struct{}

func (noSender) Send(context.Context, []pipeline.Request, []pipeline.Result) error { return nil }

type noReports struct{}

func (noReports) CampaignStats(context.Context, string, string) (analytics.CampaignStats, error) {
	return analytics.CampaignStats{}, analytics.ErrNotFound
}

func (noReports) Message(context.Context, string, string) (analytics.MessageView, error) {
	return analytics.MessageView{}, analytics.ErrNotFound
}

func (noReports) Check(string, string) (time.Time, error) { return time.Time{}, analytics.ErrNotFound }
