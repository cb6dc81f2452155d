package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/contacts"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// harness is a contact store, and with -via api the API in front of it.
type harness struct {
	store  *contacts.Store
	client ternv1connect.ContactServiceClient // nil: straight to the store
}

type result struct{ imported, rejected int64 }

func newHarness(ctx context.Context, base, via, brokers string) (*harness, func(), error) {
	dbURL, drop, err := freshDatabase(ctx, base)
	if err != nil {
		return nil, nil, err
	}
	stopBroker := func() {}
	addrs := strings.Split(brokers, ",")
	if brokers == "" {
		broker, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			return nil, nil, err
		}
		addrs, stopBroker = broker.ListenAddrs(), broker.Close
	}
	topic := consent.TopicConfig{Brokers: addrs, Topic: "tern.suppressions"}
	if err := consent.EnsureTopic(ctx, topic, 4, 1); err != nil {
		return nil, nil, err
	}
	hasher := consent.NewHasher([]byte("bench-import"))
	ledger, err := consent.Open(ctx, dbURL, hasher, topic)
	if err != nil {
		return nil, nil, err
	}
	store, err := contacts.Open(ctx, dbURL, hasher, contacts.WithConsent(ledger))
	if err != nil {
		return nil, nil, err
	}
	h := &harness{store: store}
	var srv *http.Server
	if via == "api" {
		if srv, h.client, err = serveAPI(ledger, store); err != nil {
			return nil, nil, err
		}
	}
	return h, func() {
		if srv != nil {
			srv.Close()
		}
		store.Close()
		ledger.Close()
		stopBroker()
		drop()
	}, nil
}

// serveAPI serves the contact service on a loopback port and returns a
// client of it, as `tern contacts import` makes one.
func serveAPI(ledger *consent.Ledger, store *contacts.Store) (*http.Server, ternv1connect.ContactServiceClient, error) {
	keys, err := api.NewKeyring(map[string][]string{"bench": {api.KeyHash("bench-key")}})
	if err != nil {
		return nil, nil, err
	}
	h, err := api.NewHandler(api.Deps{Keys: keys, Sender: noSender{}, Reports: noReports{}, IDs: noReports{}, Log: discard,
		Contacts: &api.ContactDeps{Writer: ledger, Reader: ledger, Book: store, Lists: store, Segments: store, Imports: store, Log: discard}})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	auth := connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer bench-key")
			return next(ctx, req)
		}
	}))
	return srv, ternv1connect.NewContactServiceClient(&http.Client{}, "http://"+ln.Addr().String(), auth), nil
}

// run imports a file of rows rows, sent chunk bytes at a time.
func (h *harness) run(ctx context.Context, rows, chunk int) (result, error) {
	f := newFile(rows)
	buf := make([]byte, 0, chunk)
	var off int64
	o := contacts.ImportOptions{ID: "bench", List: "bench", ConsentSource: "bench"}
	for {
		buf = f.fill(buf[:0], chunk)
		last := f.done()
		p, err := h.chunk(ctx, o, off, buf, last)
		if err != nil {
			return result{}, fmt.Errorf("chunk at %d: %w", off, err)
		}
		off += int64(len(buf))
		if last {
			return result{imported: p.imported, rejected: p.rejected}, nil
		}
	}
}

func (h *harness) chunk(ctx context.Context, o contacts.ImportOptions, off int64, data []byte, last bool) (result, error) {
	if h.client == nil {
		p, err := h.store.ImportChunk(ctx, "bench", o, off, data, last)
		return result{p.Imported, p.Rejected}, err
	}
	resp, err := h.client.ImportContactsChunk(ctx, connect.NewRequest(&ternv1.ImportContactsChunkRequest{Offset: off, Data: data, Last: last,
		Options: &ternv1.ImportOptions{ImportId: o.ID, ListName: o.List, ConsentSource: o.ConsentSource}}))
	if err != nil {
		return result{}, err
	}
	return result{resp.Msg.GetProgress().GetImported(), resp.Msg.GetProgress().GetRejected()}, nil
}

// freshDatabase creates a database on base's server and returns its URL
// and a function that drops it.
func freshDatabase(ctx context.Context, base string) (string, func(), error) {
	var b [6]byte
	rand.Read(b[:])
	name := "tern_bench_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	}, nil
}
