package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/core/phone"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// rawTopic is the raw baseline's topic.
const rawTopic = "bench.submit"

// startBroker starts `tern kafka`, the same in-process broker tern serve
// embeds (kfake, one broker, DataDir), as a process of its own.
func startBroker(ternBin, dir string, partitions int) (*child, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(ternBin, "kafka", "--listen", addr, "--data", dir, "--partitions", strconv.Itoa(partitions))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "listening") {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("tern kafka did not start: %q %v", line, err)
	}
	return &child{cmd: cmd, addr: addr}, nil
}

// submitTemplate is what intake learns about a request before it writes
// the submit record: region, parts, alphabet.
type submitTemplate struct {
	region   string
	segments int32
	encoding ternv1.Encoding
}

func templates(reqs []*ternv1.SendRequest) ([]submitTemplate, error) {
	out := make([]submitTemplate, len(reqs))
	for i, r := range reqs {
		n, err := phone.Parse(r.To, "")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.To, err)
		}
		info := gsm.Analyze(r.Body, gsm.Options{})
		out[i] = submitTemplate{region: n.Region, segments: int32(info.Segments), encoding: ternv1.Encoding(info.Encoding)}
	}
	return out, nil
}

// runRawKafka is baseline (b): the same messages as the submit records
// tern's intake writes (same fields, id issuer, key and writer settings:
// murmur2 partitioner, acks=all, 1 ms batch timeout), one record per
// WriteMessages call from the same number of callers, produced to `tern
// kafka` and consumed back by one reader per partition.
func runRawKafka(ctx context.Context, e *env) (row, error) {
	r := row{name: "raw kafka-go produce (acks=all) + consume, kfake with DataDir (baseline b)"}
	broker, err := startBroker(e.ternBin, filepath.Join(e.dir, "raw-kafka"), e.partitions)
	if err != nil {
		return r, err
	}
	defer broker.stop(30 * time.Second)
	brokers := []string{broker.addr}
	client := &kafka.Client{Addr: kafka.TCP(brokers...)}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: rawTopic, NumPartitions: e.partitions, ReplicationFactor: 1,
	}}})
	if err != nil {
		return r, fmt.Errorf("create %s: %w", rawTopic, err)
	}
	if err := resp.Errors[rawTopic]; err != nil {
		return r, fmt.Errorf("create %s: %w", rawTopic, err)
	}

	send, closeWriter, err := rawSender(e, brokers)
	if err != nil {
		return r, err
	}
	defer closeWriter()

	tctx, stopTail := context.WithCancel(ctx)
	defer stopTail()
	consumed := newFirstSeen(e.partitions)
	_, waitTail, err := tail(tctx, brokers, rawTopic, kafka.FirstOffset, func(p int, m kafka.Message) {
		now := time.Now()
		rec := &recordv1.Submit{}
		if proto.Unmarshal(m.Value, rec) == nil {
			consumed.see(p, rec.Id, now)
		}
	})
	if err != nil {
		return r, err
	}

	var a, b cpuSnap
	roots := []root{{os.Getpid(), harnessLabel + " (load generator, consumers)"}, {broker.cmd.Process.Pid, "tern kafka"}}
	cfg := e.load
	cfg.atWindow = func(start bool) {
		if start {
			a = snapCPU(roots...)
		} else {
			b = snapCPU(roots...)
		}
	}
	e.logf("raw kafka: %d callers for %v after %v warmup", cfg.concurrency, cfg.duration, cfg.warmup)
	e.awaitQuiet(ctx)
	res := runLoad(ctx, cfg, send)
	r.cpu, r.load = a.until(b), loadAvg()
	deadline := time.Now().Add(30 * time.Second)
	for consumed.count.Load() < int64(len(res.calls)) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stopTail()
	waitTail()

	n, lats := res.inWindow()
	secs := res.t1.Sub(res.t0).Seconds()
	r.accepted, r.p50, r.p99 = float64(n)/secs, percentile(lats, 50), percentile(lats, 99)
	flat, missing := joined(res.calls, consumed.all(), res.t0, res.t1)
	r.final, r.f50, r.f99 = float64(consumed.between(res.t0, res.t1))/secs, percentile(flat, 50), percentile(flat, 99)
	r.errs = res.errs
	r.total, r.done = len(res.calls), int(consumed.count.Load())
	if missing > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d produced records were not consumed within 30 s", missing))
	}
	return r, nil
}

// rawSender returns a sender that writes request i as the submit record
// tern's intake would, with the intake's writer settings, and a func that
// closes its writer.
func rawSender(e *env, brokers []string) (sender, func(), error) {
	key := make([]byte, 32)
	rand.Read(key)
	ids, err := msgid.NewIssuer(key)
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := templates(e.reqs)
	if err != nil {
		return nil, nil, err
	}
	w := &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Topic:        rawTopic,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Millisecond,
		BatchSize:    1000,
		BatchBytes:   4 << 20,
		WriteTimeout: 10 * time.Second,
		MaxAttempts:  5,
	}
	send := func(ctx context.Context, i int) (string, error) {
		req, t := e.reqs[i%len(e.reqs)], tmpl[i%len(tmpl)]
		now := time.Now()
		id := ids.New("dev", now)
		rec := &recordv1.Submit{
			Id: id, TenantId: "dev", To: req.To, From: req.From, Body: req.Body, CampaignId: req.CampaignId,
			Category: req.Category, Segments: t.segments, Encoding: t.encoding, AcceptedAt: timestamppb.New(now),
			Region: t.region, PriceMicros: 7900 * int64(t.segments), Currency: "USD",
			ValidUntil: timestamppb.New(now.Add(48 * time.Hour)),
		}
		v, err := proto.Marshal(rec)
		if err != nil {
			return "", err
		}
		return id, w.WriteMessages(ctx, kafka.Message{Key: []byte(req.To), Value: v, Time: now})
	}
	return send, func() { w.Close() }, nil
}
