package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// contactsImport is one `tern contacts import` run.
type contactsImport struct {
	client ternv1connect.ContactServiceClient
	file   *os.File
	size   int64
	opts   *ternv1.ImportOptions
	step   int
	stderr io.Writer
}

// runContacts manages the contact book through the API:
//
//	tern contacts import FILE.csv [--list NAME] [--import-id ID] [--consent-source S]
//
// It talks to --api (default a local tern serve) with the key in
// TERN_API_KEY, shows progress on stderr and prints a JSON summary on
// stdout: {"imported":N,"rejected":M,"errors":[{"row":R,"error":"…"}]}.
// Running it again with the same file and list resumes or repeats the
// import harmlessly.
func runContacts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New("contacts: want import FILE.csv --list NAME")
	}
	fs := flag.NewFlagSet("contacts import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := fs.String("api", "http://127.0.0.1:8080", "the tern API's base `URL`")
	list := fs.String("list", "", "the list the contacts join, created when missing")
	id := fs.String("import-id", "", "names the import; the same id resumes it (default: from the file's content and the list)")
	source := fs.String("consent-source", "", "where the consent in the file's consent column was given; required with such a column")
	disclosure := fs.String("consent-disclosure", "", "the disclosure shown, or its version")
	chunk := fs.Int("chunk", 1<<20, "`bytes` of the file per call, 1 to 4194304")
	files, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return errors.New("contacts import: want one FILE.csv")
	}
	if *chunk < 1 || *chunk > 4<<20 {
		return errors.New("contacts import: --chunk: 1 to 4194304 bytes")
	}
	key := os.Getenv("TERN_API_KEY")
	if key == "" {
		return errors.New("contacts import: set TERN_API_KEY to an API key with the contacts scope")
	}
	f, err := os.Open(files[0])
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if *id == "" {
		if *id, err = defaultImportID(f, *list); err != nil {
			return err
		}
	}
	client := ternv1connect.NewContactServiceClient(&http.Client{}, strings.TrimRight(*api, "/"), connect.WithInterceptors(apiKey(key)))
	im := &contactsImport{client: client, file: f, size: st.Size(), step: *chunk, stderr: stderr,
		opts: &ternv1.ImportOptions{ImportId: *id, ListName: *list, ConsentSource: *source, ConsentDisclosure: *disclosure}}
	p, err := im.run(ctx)
	if err != nil {
		return err
	}
	return im.summary(ctx, stdout, p)
}

// parseInterleaved parses flags that may come before and after the
// positional arguments, and returns those.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
}

// defaultImportID names an import by its file's content and list, so
// that the same command run again resumes it.
func defaultImportID(f *os.File, list string) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	h.Write([]byte{0})
	h.Write([]byte(list))
	return "cli-" + hex.EncodeToString(h.Sum(nil)[:12]), nil
}

// run sends the file from where the import stands, chunk by chunk, and
// returns the final progress. A call that fails for want of the server
// is tried again from the server's offset.
func (im *contactsImport) run(ctx context.Context) (*ternv1.ImportProgress, error) {
	buf := make([]byte, im.step)
	p, err := im.chunk(ctx, 0, nil, false)
	for tries := 0; ; {
		if err != nil {
			if tries++; tries > 5 || !retriable(err) {
				return nil, err
			}
			fmt.Fprintf(im.stderr, "\ncontacts import: %v; trying again\n", err)
			if err := sleep(ctx, time.Duration(tries)*time.Second); err != nil {
				return nil, err
			}
			p, err = im.chunk(ctx, 0, nil, false)
			continue
		}
		im.progress(p)
		if p.GetState() == ternv1.ImportState_IMPORT_STATE_DONE {
			fmt.Fprintln(im.stderr)
			return p, nil
		}
		off := p.GetBytesReceived()
		n, rerr := im.file.ReadAt(buf, off)
		if rerr != nil && rerr != io.EOF {
			return nil, rerr
		}
		p, err = im.chunk(ctx, off, buf[:n], off+int64(n) >= im.size)
	}
}

func (im *contactsImport) chunk(ctx context.Context, off int64, data []byte, last bool) (*ternv1.ImportProgress, error) {
	resp, err := im.client.ImportContactsChunk(ctx, connect.NewRequest(&ternv1.ImportContactsChunkRequest{Options: im.opts, Offset: off, Data: data, Last: last}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetProgress(), nil
}

func retriable(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeUnavailable, connect.CodeDeadlineExceeded, connect.CodeUnknown, connect.CodeAborted:
		return true
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// progress draws the bar on stderr.
func (im *contactsImport) progress(p *ternv1.ImportProgress) {
	frac := 1.0
	if im.size > 0 {
		frac = float64(p.GetBytesReceived()) / float64(im.size)
	}
	const width = 30
	done := int(frac * width)
	fmt.Fprintf(im.stderr, "\r[%s%s] %3.0f%%  %d rows, %d imported, %d rejected", strings.Repeat("#", done), strings.Repeat(".", width-done),
		100*frac, p.GetRowsRead(), p.GetImported(), p.GetRejected())
}

type rowError struct {
	Row   int64  `json:"row"`
	Error string `json:"error"`
}

// summary prints the JSON summary with every rejected row.
func (im *contactsImport) summary(ctx context.Context, out io.Writer, p *ternv1.ImportProgress) error {
	errs := []rowError{}
	for token := ""; ; {
		resp, err := im.client.ListImportErrors(ctx, connect.NewRequest(&ternv1.ListImportErrorsRequest{ImportId: im.opts.ImportId, PageToken: token,
			PageSize: 10_000}))
		if err != nil {
			return err
		}
		for _, e := range resp.Msg.GetErrors() {
			errs = append(errs, rowError{Row: e.GetRow(), Error: e.GetError()})
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	return writeJSON(out, struct {
		Imported int64      `json:"imported"`
		Rejected int64      `json:"rejected"`
		Errors   []rowError `json:"errors"`
	}{p.GetImported(), p.GetRejected(), errs})
}

// apiKey sends key with every call.
type apiKey string

func (b apiKey) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(b))
		return next(ctx, req)
	}
}

func (b apiKey) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set("Authorization", "Bearer "+string(b))
		return conn
	}
}

func (b apiKey) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
