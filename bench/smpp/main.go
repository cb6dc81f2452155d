// Command smpp measures tern's SMPP client against the simulator SMSC over
// loopback, beside a baseline measured in the same run: the simulator
// driven by a minimal pipelined ESME that writes submit_sm back to back
// under the same window and reads the answers. Both ask for receipts and
// answer them.
//
//	go run ./bench/smpp -duration 10s
//
// It prints a Markdown table for bench/RESULTS.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each run measures, after warmup")
	warmup := flag.Duration("warmup", time.Second, "time before measuring")
	window := flag.Int("window", 100, "submit_sm in flight per bind")
	callers := flag.Int("callers", 0, "goroutines calling Submit (default 2 × window)")
	runs := flag.Int("runs", 3, "runs of each")
	flag.Parse()
	if *callers == 0 {
		*callers = 2 * *window
	}
	log.SetFlags(0)

	fmt.Printf("Machine: %s, `nproc` = %d, %s/%s, %s\n\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("Each run: %v measured after %v warmup, window %d, short GSM-7 texts, receipts on.\n\n", *duration, *warmup, *window)
	fmt.Println("| run | what | submit_sm/s | p50 | p99 | receipts/s |")
	fmt.Println("|---|---|---|---|---|---|")
	for i := range *runs {
		raw, err := measure(*duration, *warmup, func(ctx context.Context, addr string, m *meter) error {
			return rawESME(ctx, addr, *window, m)
		})
		if err != nil {
			log.Fatalf("raw: %v", err)
		}
		fmt.Printf("| %d | raw pipelined ESME (baseline) | %s |\n", i+1, raw)
		client, err := measure(*duration, *warmup, func(ctx context.Context, addr string, m *meter) error {
			return ternClient(ctx, addr, *window, *callers, m)
		})
		if err != nil {
			log.Fatalf("client: %v", err)
		}
		fmt.Printf("| %d | smpp.Client, %d callers | %s |\n", i+1, *callers, client)
		fmt.Printf("| %d | client / baseline | %.2f | | | |\n", i+1, client.rate/raw.rate)
	}
}

// meter counts answered submits, their latencies and receipts, from the
// moment it starts recording.
type meter struct {
	recording atomic.Bool
	answered  atomic.Int64
	receipts  atomic.Int64
	mu        sync.Mutex
	lat       []time.Duration
}

func (m *meter) answer(d time.Duration) {
	if !m.recording.Load() {
		return
	}
	m.answered.Add(1)
	m.mu.Lock()
	m.lat = append(m.lat, d)
	m.mu.Unlock()
}

func (m *meter) receipt() {
	if m.recording.Load() {
		m.receipts.Add(1)
	}
}

type result struct {
	rate, receipts float64
	p50, p99       time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("%.0f | %v | %v | %.0f", r.rate, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.receipts)
}

// measure starts a fresh simulator, runs load against it for warmup plus
// duration, and reports what was answered while recording.
func measure(duration, warmup time.Duration, load func(ctx context.Context, addr string, m *meter) error) (result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := smscsim.New(smscsim.Config{Addr: "127.0.0.1:0", Seed: 1})
	if err != nil {
		return result{}, err
	}
	if err := sim.Start(ctx); err != nil {
		return result{}, err
	}
	defer sim.Close()
	m := &meter{lat: make([]time.Duration, 0, 1<<20)}
	errc := make(chan error, 1)
	go func() { errc <- load(ctx, sim.Addr(), m) }()
	select {
	case err := <-errc:
		return result{}, fmt.Errorf("load ended during warmup: %w", err)
	case <-time.After(warmup):
	}
	m.recording.Store(true)
	start := time.Now()
	time.Sleep(duration)
	m.recording.Store(false)
	elapsed := time.Since(start).Seconds()
	cancel()
	if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
		return result{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.lat) == 0 {
		return result{}, errors.New("nothing answered")
	}
	slices.Sort(m.lat)
	return result{
		rate:     float64(m.answered.Load()) / elapsed,
		receipts: float64(m.receipts.Load()) / elapsed,
		p50:      m.lat[len(m.lat)/2],
		p99:      m.lat[len(m.lat)*99/100],
	}, nil
}

// ternClient drives smpp.Client with callers goroutines submitting
// one-part texts; latency is the whole Submit call.
func ternClient(ctx context.Context, addr string, window, callers int, m *meter) error {
	c, err := smpp.NewClient(smpp.ClientConfig{Name: "bench", Addr: addr, SystemID: "bench", Window: window},
		smpp.WithReceiptHandler(func(context.Context, carriers.Receipt) error { m.receipt(); return nil }))
	if err != nil {
		return err
	}
	runDone := make(chan error, 1)
	go func() { runDone <- c.Run(ctx) }()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range callers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1)
				s := &carriers.Submission{
					To:                 fmt.Sprintf("+4915%09d", i),
					From:               "Shop",
					Text:               fmt.Sprintf("Your code is %06d", i%1000000),
					RegisteredDelivery: true,
				}
				start := time.Now()
				if _, err := c.Submit(ctx, s); err == nil {
					m.answer(time.Since(start))
				}
			}
		})
	}
	wg.Wait()
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(cctx)
	return <-runDone
}

// rawESME binds as transceiver and writes submit_sm back to back while
// fewer than window are unanswered, answering receipts on the same
// connection; latency is from the write to the answer's arrival.
func rawESME(ctx context.Context, addr string, window int, m *meter) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	context.AfterFunc(ctx, func() { nc.Close() })
	bw := bufio.NewWriterSize(nc, 32*1024)
	r := smpp.NewReader(nc, 0)
	write := func(seq uint32, body smpp.Body, status smpp.CommandStatus) error {
		p := smpp.PDU{Header: smpp.Header{Seq: seq, Status: status}, Body: body}
		b, err := p.AppendTo(bw.AvailableBuffer())
		if err != nil {
			return err
		}
		_, err = bw.Write(b)
		return err
	}
	if err := write(1, &smpp.Bind{Type: smpp.BindTransceiver, SystemID: "raw", InterfaceVersion: smpp.InterfaceVersion}, 0); err != nil {
		return err
	}
	if err := awaitBind(bw, r); err != nil {
		return err
	}

	slots := make(chan struct{}, window)
	acks := make(chan uint32, 4096) // deliver_sm to answer
	sent := make([]atomic.Int64, 1<<16)
	readErr := make(chan error, 1)
	go func() {
		for {
			f, err := r.ReadFrame()
			if err != nil {
				readErr <- err
				return
			}
			p, err := smpp.Decode(f)
			if err != nil {
				readErr <- err
				return
			}
			switch p.ID {
			case smpp.CmdSubmitSMResp:
				m.answer(time.Duration(time.Now().UnixNano() - sent[p.Seq%uint32(len(sent))].Load()))
				<-slots
			case smpp.CmdDeliverSM:
				m.receipt()
				acks <- p.Seq
			}
		}
	}()

	seq := uint32(1)
	for {
		var ack uint32
		wrote := false
		select {
		case ack = <-acks:
			err = write(ack, &smpp.DeliverSMResp{}, 0)
			wrote = true
		case slots <- struct{}{}:
			seq++
			sent[seq%uint32(len(sent))].Store(time.Now().UnixNano())
			err = write(seq, &smpp.SubmitSM{
				Source:             smpp.AddressOf("Shop"),
				Dest:               smpp.AddressOf(fmt.Sprintf("+4915%09d", seq)),
				RegisteredDelivery: smpp.RegisteredDeliveryFinal,
				ShortMessage:       []byte(fmt.Sprintf("Your code is %06d", seq%1000000)),
			}, 0)
			wrote = true
		default:
		}
		if err != nil {
			return err
		}
		if wrote {
			continue
		}
		// Nothing to write without waiting: flush, then wait.
		if err := bw.Flush(); err != nil {
			return ctxOr(ctx, err)
		}
		select {
		case ack = <-acks:
			err = write(ack, &smpp.DeliverSMResp{}, 0)
		case slots <- struct{}{}:
			<-slots // take it again on the next turn
		case err := <-readErr:
			return ctxOr(ctx, err)
		case <-ctx.Done():
			return ctx.Err()
		}
		if err != nil {
			return err
		}
	}
}

// awaitBind sends the bind written to bw and reads its answer from r.
func awaitBind(bw *bufio.Writer, r *smpp.Reader) error {
	if err := bw.Flush(); err != nil {
		return err
	}
	f, err := r.ReadFrame()
	if err != nil {
		return err
	}
	if p, err := smpp.Decode(f); err != nil || p.Status != smpp.StatusOK {
		return fmt.Errorf("bind: %v %v", p.Status, err)
	}
	return nil
}

func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// cpuModel reads the processor model from /proc/cpuinfo, as lscpu shows it.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
