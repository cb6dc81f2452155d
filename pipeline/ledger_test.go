package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
)

// runLedger starts a ledger on a fresh database.
func runLedger(t *testing.T) (*Ledger, *Store) {
	t.Helper()
	s := testStore(t)
	l := NewLedger(s, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l, s
}

func testRef(id string) Ref {
	return Ref{MessageID: id, TenantID: "shop", CampaignID: "c", To: "+14155552671", Region: "US", Category: core.CategoryTransactional, Carrier: "sim"}
}

func TestLedgerStates(t *testing.T) {
	t.Parallel()
	l, _ := runLedger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	begin := func(id string) prior {
		t.Helper()
		p, err := l.Begin(ctx, testRef(id), newIntentToken())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ans := func(a answer) {
		t.Helper()
		if err := l.Answer(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}

	// First attempt: fresh, submit.
	if p := begin("m1"); !p.fresh || p.inDoubt || p.state != stateSubmitting {
		t.Fatalf("first begin = %+v", p)
	}
	// Answered accepted: never submitted again.
	ans(answer{messageID: "m1", state: stateAccepted, carrier: "sim", ids: []string{"a1", "a2"}})
	if p := begin("m1"); p.state != stateAccepted || p.inDoubt || len(p.carrierIDs) != 2 || p.carrierIDs[0] != "a1" {
		t.Fatalf("begin after accept = %+v", p)
	}
	// A late answer cannot overwrite the accepted row.
	ans(answer{messageID: "m1", state: stateFailed, carrier: "sim", errorCode: "x"})
	if p := begin("m1"); p.state != stateAccepted {
		t.Fatalf("accepted row overwritten: %+v", p)
	}

	// Begin without an answer, then Begin again: in doubt.
	begin("m2")
	if p := begin("m2"); !p.inDoubt || p.state != stateSubmitting {
		t.Fatalf("second begin without answer = %+v, want in doubt", p)
	}
	// A temporary refusal is not in doubt.
	begin("m3")
	ans(answer{messageID: "m3", state: stateRefused, carrier: "sim"})
	if p := begin("m3"); p.inDoubt || p.state != stateSubmitting {
		t.Fatalf("begin after refusal = %+v, want a plain retry", p)
	}
	// Failed stays failed.
	ans(answer{messageID: "m3", state: stateFailed, carrier: "sim", errorCode: "0x0000000B"})
	if p := begin("m3"); p.state != stateFailed || p.errorCode != "0x0000000B" {
		t.Fatalf("begin after failure = %+v", p)
	}

	got, err := l.InDoubt(ctx)
	if err != nil || len(got) != 1 || got["m2"] != 1 {
		t.Fatalf("InDoubt = %v, %v; want m2 once", got, err)
	}
}

func TestLedgerBatchesConcurrentCalls(t *testing.T) {
	t.Parallel()
	l, s := runLedger(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 2000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("m%04d", i)
			p, err := l.Begin(ctx, testRef(id), newIntentToken())
			if err == nil && !p.fresh {
				err = fmt.Errorf("%s not fresh", id)
			}
			if err == nil {
				err = l.Answer(ctx, answer{messageID: id, state: stateAccepted, carrier: "sim", ids: []string{"c" + id}}, nil)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var accepted, joined int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE state = 2").Scan(&accepted); err != nil {
		t.Fatal(err)
	}
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM carrier_message_ids").Scan(&joined); err != nil {
		t.Fatal(err)
	}
	if accepted != n || joined != n {
		t.Fatalf("%d accepted, %d carrier ids; want %d each", accepted, joined, n)
	}
}

func TestApplyReceiptsRollsUpParts(t *testing.T) {
	t.Parallel()
	l, s := runLedger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := l.Begin(ctx, testRef("multi"), newIntentToken()); err != nil {
		t.Fatal(err)
	}
	if err := l.Answer(ctx, answer{messageID: "multi", state: stateAccepted, carrier: "sim", ids: []string{"p1", "p2", "p3"}}, nil); err != nil {
		t.Fatal(err)
	}
	rc := func(id, state string) carriers.Receipt {
		return carriers.Receipt{Carrier: "sim", ID: id, State: state, Status: core.ReceiptStatus(state)}
	}
	steps := []struct {
		name  string
		in    []carriers.Receipt
		final []bool
		want  core.Status
	}{
		{"intermediate receipt changes nothing", []carriers.Receipt{rc("p1", "ENROUTE")}, []bool{false}, core.StatusSubmitted},
		{"two parts in one batch", []carriers.Receipt{rc("p1", "DELIVRD"), rc("p3", "UNDELIV")}, []bool{false, false}, core.StatusSubmitted},
		{"last part completes", []carriers.Receipt{rc("p2", "DELIVRD")}, []bool{true}, core.StatusUndelivered},
		{"repeat re-reports the final state", []carriers.Receipt{rc("p2", "DELIVRD")}, []bool{true}, core.StatusUndelivered},
	}
	for _, st := range steps {
		out, err := s.applyReceipts(ctx, st.in)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for i, o := range out {
			if !o.Known || o.Final != st.final[i] || o.Ref.MessageID != "multi" || o.Ref.Parts != 3 {
				t.Fatalf("%s: outcome %d = %+v", st.name, i, o)
			}
		}
		if got := out[len(out)-1].Status; got != st.want {
			t.Fatalf("%s: status %v, want %v", st.name, got, st.want)
		}
	}
}

func TestUnknownReceiptsKeptAndJoinedLater(t *testing.T) {
	t.Parallel()
	l, s := runLedger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	early := carriers.Receipt{Carrier: "sim", ID: "late-1", State: "DELIVRD", Status: core.StatusDelivered, Done: time.Now().Truncate(time.Second)}
	out, err := s.applyReceipts(ctx, []carriers.Receipt{early})
	if err != nil || out[0].Known {
		t.Fatalf("applyReceipts = %+v, %v; want unknown", out, err)
	}
	if err := s.saveUnknownReceipts(ctx, []carriers.Receipt{early}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.claimKnownReceipts(ctx, 10); len(got) != 0 {
		t.Fatalf("claimed %v before its message was known", got)
	}
	if n, err := s.UnjoinedReceipts(ctx); err != nil || n != 1 {
		t.Fatalf("UnjoinedReceipts = %d, %v", n, err)
	}
	l.Begin(ctx, testRef("m-late"), newIntentToken())
	if err := l.Answer(ctx, answer{messageID: "m-late", state: stateAccepted, carrier: "sim", ids: []string{"late-1"}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.claimKnownReceipts(ctx, 10)
	if err != nil || len(got) != 1 || got[0].ID != "late-1" || got[0].Status != core.StatusDelivered || !got[0].Done.Equal(early.Done) {
		t.Fatalf("claimKnownReceipts = %+v, %v", got, err)
	}
	if again, _ := s.claimKnownReceipts(ctx, 10); len(again) != 0 {
		t.Fatalf("claimed twice: %v", again)
	}
}

// TestLedgerIntentsWithoutAnswerStayWithinSlots hands a slot from each
// message's queued answer to the next message's intent, as the actors do,
// and checks at every commit it can see that no more messages are in the
// submitting state than there are slots: that bound is what keeps the
// in-doubt window at the carrier window after a crash.
func TestLedgerIntentsWithoutAnswerStayWithinSlots(t *testing.T) {
	t.Parallel()
	l, s := runLedger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const slots, workers, perWorker = 8, 32, 60
	sem := make(chan struct{}, slots)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				id := fmt.Sprintf("w%d-%d", w, i)
				sem <- struct{}{}
				held := true
				release := func() {
					if held {
						<-sem
						held = false
					}
				}
				if _, err := l.Begin(ctx, testRef(id), newIntentToken()); err != nil {
					release()
					errs <- err
					return
				}
				err := l.Answer(ctx, answer{messageID: id, state: stateAccepted, carrier: "sim", ids: []string{"c-" + id}}, release)
				release()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	most, looks := 0, 0
	for watching := true; watching; {
		select {
		case <-done:
			watching = false
		default:
		}
		var n int
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE state = 1").Scan(&n); err != nil {
			t.Fatal(err)
		}
		most, looks = max(most, n), looks+1
		if n > slots {
			t.Fatalf("%d messages submitting at once with %d slots", n, slots)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var accepted int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE state = 2").Scan(&accepted); err != nil {
		t.Fatal(err)
	}
	if accepted != workers*perWorker {
		t.Fatalf("%d accepted, want %d", accepted, workers*perWorker)
	}
	if most == 0 {
		t.Fatalf("never saw a message submitting in %d looks: the check watched nothing", looks)
	}
	t.Logf("at most %d of %d slots submitting over %d looks", most, slots, looks)
}

// A delivery's answer and receipt rewrite its row; they should stay on the
// page the insert put it on (heap-only updates, which leave the primary
// key alone), not move it as they do on pages the inserts filled up: with
// full pages all 400 rows move. One answer for all 400 rows, in one
// transaction, is the worst case (no old version can be pruned to make
// room); about a fifth of the rows move then. The receipt's versions fit
// once the answer's old ones are pruned (see waitOlderSnapshots).
func TestDeliveryUpdatesStayOnTheirPage(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	l := NewLedger(s, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 400 // a dozen pages or more
	ins := make([]intent, n)
	as := make([]answer, n)
	rs := make([]carriers.Receipt, n)
	for i := range ins {
		id := fmt.Sprintf("01JPAGE%019d", i)
		ins[i] = intent{Ref: testRef(id), token: newIntentToken()}
		cid := fmt.Sprintf("sim-%d", i)
		as[i] = answer{messageID: id, state: stateAccepted, carrier: "sim", ids: []string{cid}}
		rs[i] = carriers.Receipt{Carrier: "sim", ID: cid, State: "DELIVRD", Status: core.ReceiptStatus("DELIVRD")}
	}
	pages := func() map[string]string {
		t.Helper()
		rows, err := s.pool.Query(ctx, "SELECT message_id, split_part(trim(both '()' from ctid::text), ',', 1) FROM deliveries")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]string{}
		for rows.Next() {
			var id, page string
			if err := rows.Scan(&id, &page); err != nil {
				t.Fatal(err)
			}
			m[id] = page
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if _, err := l.execBegin(ctx, ins); err != nil {
		t.Fatal(err)
	}
	inserted := pages()
	moved := func() int {
		t.Helper()
		m := 0
		for id, page := range pages() {
			if inserted[id] != page {
				m++
			}
		}
		return m
	}
	if _, err := l.execAnswer(ctx, as); err != nil {
		t.Fatal(err)
	}
	if m := moved(); len(inserted) != n || m > n/4 {
		t.Fatalf("%d of %d rows moved to another page after their answer (%d inserted); want at most %d", m, n, len(inserted), n/4)
	}
	waitOlderSnapshots(ctx, t, s)
	if _, err := s.applyReceipts(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if m := moved(); m > n/4 {
		t.Fatalf("%d of %d rows moved to another page after their answer and receipt; want at most %d", m, n, n/4)
	}
}

// waitOlderSnapshots waits until no other session on the server, in any
// database, holds a transaction or snapshot from before now. Postgres
// prunes a row version on a page it reads only once the version's
// transaction is older than every running one, so a transaction that
// another test's database keeps open across the answer leaves the answer's
// old versions in place and the receipt's do not fit: nearly every row
// moves then.
func waitOlderSnapshots(ctx context.Context, t *testing.T, s *Store) {
	t.Helper()
	var now time.Time
	if err := s.pool.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&now); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		var held []string
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(backend_type || ' ' || pid || ' in ' || coalesce(datname, '-')), '{}')
			FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)
			AND (xact_start IS NULL OR xact_start < $1)`, now).Scan(&held); err != nil {
			return err
		}
		if len(held) > 0 {
			return fmt.Errorf("transactions from before %s still open: %v", now.Format(time.RFC3339Nano), held)
		}
		return nil
	})
}

// TestLedgerOneItemCannotFailABatch queues good intents and answers with
// one intent whose campaign holds a NUL, which PostgreSQL text refuses,
// and only then starts the ledger, so that all of them share one batch.
// The batch is written again item by item: only the bad intent fails, for
// good, and everything else is written.
func TestLedgerOneItemCannotFailABatch(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	l := NewLedger(s, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Two messages with an intent already, whose answers join the batch.
	if _, err := l.execBegin(ctx, []intent{{testRef("a1"), newIntentToken()}, {testRef("a2"), newIntentToken()}}); err != nil {
		t.Fatal(err)
	}

	const good = 20
	bad := testRef("bad")
	bad.CampaignID = "spring\x00sale"
	var wg sync.WaitGroup
	errs := make([]error, good+1)
	for i := range good + 1 {
		wg.Go(func() {
			ref := testRef(fmt.Sprintf("g%02d", i))
			if i == good {
				ref = bad
			}
			_, errs[i] = l.Begin(ctx, ref, newIntentToken())
		})
	}
	var answerErrs [2]error
	for i, id := range []string{"a1", "a2"} {
		wg.Go(func() {
			answerErrs[i] = l.Answer(ctx, answer{messageID: id, state: stateAccepted, carrier: "sim", ids: []string{"c-" + id}}, nil)
		})
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := len(l.w.calls); n != good+3 {
			return fmt.Errorf("%d calls queued, want %d", n, good+3)
		}
		return nil
	})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go l.Run(runCtx)
	wg.Wait()
	for i, err := range errs[:good] {
		if err != nil {
			t.Fatalf("good intent %d failed with the bad one: %v", i, err)
		}
	}
	for i, err := range answerErrs {
		if err != nil {
			t.Fatalf("answer %d failed with the bad intent: %v", i, err)
		}
	}
	if err := errs[good]; !errors.Is(err, ErrUnstorable) {
		t.Fatalf("bad intent: %v, want ErrUnstorable", err)
	}
	var submitting, accepted int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 2) FROM deliveries").Scan(&submitting, &accepted); err != nil {
		t.Fatal(err)
	}
	if submitting != good || accepted != 2 {
		t.Fatalf("%d intents and %d answers written, want %d and 2", submitting, accepted, good)
	}
}

// TestLedgerBeginAgainBySameAttempt: a Begin made again with its
// attempt's token, as after a reply lost with the connection, finds its
// own intent: not in doubt, and not counted. Under another token the
// same row is in doubt; a Begin of that attempt made again still reports
// the doubt its first Begin found, counted once.
func TestLedgerBeginAgainBySameAttempt(t *testing.T) {
	t.Parallel()
	l, _ := runLedger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	begin := func(token int64) prior {
		t.Helper()
		p, err := l.Begin(ctx, testRef("m"), token)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first, second := newIntentToken(), newIntentToken()
	if p := begin(first); !p.fresh || p.inDoubt {
		t.Fatalf("first begin = %+v", p)
	}
	if p := begin(first); p.inDoubt || p.state != stateSubmitting {
		t.Fatalf("the same attempt's begin again = %+v, want not in doubt", p)
	}
	if got, err := l.InDoubt(ctx); err != nil || len(got) != 0 {
		t.Fatalf("InDoubt = %v, %v; want none", got, err)
	}
	for range 2 {
		if p := begin(second); !p.inDoubt || p.doubtCarrier != "sim" {
			t.Fatalf("another attempt's begin = %+v, want in doubt on sim", p)
		}
	}
	if got, err := l.InDoubt(ctx); err != nil || got["m"] != 1 {
		t.Fatalf("InDoubt = %v, %v; want m once", got, err)
	}
}
