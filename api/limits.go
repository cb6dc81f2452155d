package api

import (
	"compress/gzip"
	"io"
	"time"

	"connectrpc.com/connect"
)

// MaxRequestBytes bounds one request message on both servers, counted
// after decompression; a larger one is ResourceExhausted. The largest
// valid request fits: a SendBatch of 1,000 messages with every field at
// its limit (a body of 1,600 four-byte characters, a 255-byte idempotency
// key, a 128-byte campaign id, …), in protobuf and in JSON written as
// UTF-8 (TestMaxRequestFitsLargestBatch). JSON that escapes every
// character as \uXXXX may not fit.
const MaxRequestBytes = 8 << 20

// maxProbeBytes bounds a gRPC health or reflection request, a few names
// long; both answer without authentication.
const maxProbeBytes = 64 << 10

// defaultReadTimeout bounds how long a client may take to send one
// request, headers and body (WithReadTimeout).
const defaultReadTimeout = 30 * time.Second

// maxStreams bounds the calls in progress on one HTTP/2 connection, on
// grpc-go as net/http does by default.
const maxStreams = 250

// boundedGzip is the gzip decompression of a Connect handler whose
// messages are at most limit bytes. Connect stops reading at limit+1 and
// then drains the rest to report its size; this stops with
// errDecompressedTooLarge there instead, so a small body that inflates to
// gigabytes costs no more work than one that inflates to the limit.
func boundedGzip(limit int) connect.HandlerOption {
	return connect.WithCompression("gzip",
		func() connect.Decompressor { return &gzipReader{limit: int64(limit) + 1} },
		func() connect.Compressor { return gzip.NewWriter(io.Discard) })
}

type gzipReader struct {
	gz          gzip.Reader
	limit, left int64
	reset       bool // a Reset succeeded, so gz can be closed
}

func (r *gzipReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, errDecompressedTooLarge
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.gz.Read(p)
	r.left -= int64(n)
	return n, err
}

func (r *gzipReader) Reset(src io.Reader) error {
	r.left = r.limit
	err := r.gz.Reset(src)
	r.reset = r.reset || err == nil
	return err
}

func (r *gzipReader) Close() error {
	if !r.reset {
		return nil
	}
	return r.gz.Close()
}
