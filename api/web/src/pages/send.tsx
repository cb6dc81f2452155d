import { useEffect, useState } from "preact/hooks";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { client, problem, type Problem } from "../api";
import { e164, encodingName, money, useCount } from "../composer";
import { Counter, Preview, Suggestion } from "../counter";
import { AdminService } from "../gen/tern/v1/admin_service_pb";
import { Category } from "../gen/tern/v1/message_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { MessageService, type SendRequestSchema, type SendResponse } from "../gen/tern/v1/message_service_pb";
import { useSession, roleName } from "../session";
import { Alert, EmptyState, Field, fieldAria, PageTitle } from "../ui";

const fields = ["to", "from", "body", "category", "send_at", "campaign_id"] as const;

const categories: [Category, string][] = [
  [Category.TRANSACTIONAL, "Transactional: orders, shipping, support"],
  [Category.MARKETING, "Marketing: offers, to opted-in customers only"],
  [Category.OTP, "Login code"],
];

export function Send() {
  const { can, user } = useSession();
  if (!can("send")) {
    return (
      <>
        <PageTitle title="Send">Send</PageTitle>
        <EmptyState title="Sending needs another role">
          <p>
            Your role ({roleName(user!.role)}) can read messages and reports but not send. An owner or admin of your
            tenant can change it.
          </p>
        </EmptyState>
      </>
    );
  }
  return <Composer />;
}

function Composer() {
  const { can } = useSession();
  const [to, setTo] = useState("");
  const [from, setFrom] = useState("");
  const [body, setBody] = useState("");
  const [category, setCategory] = useState(Category.TRANSACTIONAL);
  const [smart, setSmart] = useState(false);
  const [later, setLater] = useState(false);
  const [at, setAt] = useState("");
  const [campaign, setCampaign] = useState("");
  const [testTo, setTestTo] = useState("");
  const [senders, setSenders] = useState<string[]>([]);
  const [err, setErr] = useState<Problem>({ fields: {} });
  const [testErr, setTestErr] = useState<Problem>({ fields: {} });
  const [sent, setSent] = useState<{ what: string; r: SendResponse }>();
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(() => crypto.randomUUID());
  const { count, error: countErr, pending } = useCount(body, smart, to);

  useEffect(() => {
    if (!can("admin")) return;
    client(AdminService).listSenders({}).then((r) => setSenders(r.senders.map((s) => s.id)), () => {});
  }, []);

  async function send(test: boolean) {
    setBusy(true);
    setSent(undefined);
    (test ? setTestErr : setErr)({ fields: {} });
    const req: MessageInitShape<typeof SendRequestSchema> = { to: test ? testTo : to, from, body, category, smartEncoding: smart,
      campaignId: test ? "test" : campaign, idempotencyKey: test ? "" : key };
    if (!test && later) {
      const d = new Date(at);
      if (at === "" || isNaN(d.getTime())) {
        setErr({ fields: { send_at: "pick a date and time, or send now" } });
        setBusy(false);
        return;
      }
      req.sendAt = timestampFromDate(d);
    }
    try {
      const r = await client(MessageService).send(req);
      setSent({ what: test ? "Test message" : later ? "Scheduled message" : "Message", r });
      if (!test) setKey(crypto.randomUUID());
    } catch (e) {
      const p = problem(e, fields);
      if (test && p.fields.to) p.fields = { test_to: p.fields.to };
      (test ? setTestErr : setErr)(p);
    } finally {
      setBusy(false);
    }
  }

  const fe = { ...err.fields, ...(countErr?.fields ?? {}) };
  return (
    <>
      <PageTitle title="Send">Send a message</PageTitle>
      <form class="composer" onSubmit={(e) => { e.preventDefault(); send(false); }} noValidate>
        {err.message && <Alert>{err.message}</Alert>}
        {countErr?.message && <Alert>Counting failed: {countErr.message}</Alert>}
        {sent && (
          <Alert kind="ok">
            {sent.what} queued: <code>{sent.r.id}</code>, {sent.r.segments} segment{sent.r.segments === 1 ? "" : "s"},{" "}
            {encodingName(sent.r.encoding)}, {money(sent.r.price)}.
          </Alert>
        )}
        <div class="grid">
          <Field id="to" label="To" error={fe.to} hint="In international form, e.g. +14155552671">
            <input {...fieldAria("to", fe.to, true)} type="tel" autocomplete="off" value={to} onInput={(e) => setTo(e.currentTarget.value.trim())} />
          </Field>
          <Field id="from" label="From" error={fe.from} hint="Empty sends from your default sender">
            <input {...fieldAria("from", fe.from, true)} list="senders" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
            <datalist id="senders">{senders.map((s) => <option key={s} value={s} />)}</datalist>
          </Field>
        </div>
        <Field id="body" label="Message" error={fe.body}>
          <textarea {...fieldAria("body", fe.body)} rows={6} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
        </Field>
        <Counter count={count} pending={pending} priced={e164.test(to)} />
        <Preview body={body} ucs2={count?.ucs2 ?? []} />
        <Suggestion count={count} onSmart={() => setSmart(true)} onRemove={(t) => { setBody(t); setSmart(true); }} />
        <div class="check">
          <input id="smart" type="checkbox" checked={smart} onChange={(e) => setSmart(e.currentTarget.checked)} />
          <label for="smart">Smart encoding: replace curly quotes, dashes and the like with GSM look-alikes</label>
        </div>
        <div class="grid">
          <Field id="category" label="Category" error={fe.category}>
            <select {...fieldAria("category", fe.category)} value={category} onChange={(e) => setCategory(Number(e.currentTarget.value))}>
              {categories.map(([c, label]) => <option key={c} value={c}>{label}</option>)}
            </select>
          </Field>
          <Field id="campaign_id" label="Campaign (optional)" error={fe.campaign_id} hint="Groups messages in reports">
            <input {...fieldAria("campaign_id", fe.campaign_id, true)} value={campaign} onInput={(e) => setCampaign(e.currentTarget.value)} />
          </Field>
        </div>
        <Schedule later={later} setLater={setLater} at={at} setAt={setAt} error={fe.send_at} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {later ? "Schedule" : "Send"}
          </button>
        </div>
      </form>
      <TestSend testTo={testTo} setTestTo={setTestTo} err={testErr} busy={busy || body === ""} send={() => send(true)} />
    </>
  );
}

interface ScheduleProps {
  later: boolean;
  setLater: (b: boolean) => void;
  at: string;
  setAt: (s: string) => void;
  error?: string;
}

function Schedule({ later, setLater, at, setAt, error }: ScheduleProps) {
  return (
    <fieldset class="schedule">
      <legend>When</legend>
      <div class="check">
        <input type="radio" id="when-now" name="when" checked={!later} onChange={() => setLater(false)} />
        <label for="when-now">Now</label>
      </div>
      <div class="check">
        <input type="radio" id="when-later" name="when" checked={later} onChange={() => setLater(true)} />
        <label for="when-later">Later</label>
      </div>
      {later && (
        <Field id="send_at" label="Send at (your time)" error={error}>
          <input {...fieldAria("send_at", error)} type="datetime-local" value={at} onInput={(e) => setAt(e.currentTarget.value)} />
        </Field>
      )}
    </fieldset>
  );
}

interface TestProps {
  testTo: string;
  setTestTo: (s: string) => void;
  err: Problem;
  busy: boolean;
  send: () => void;
}

function TestSend({ testTo, setTestTo, err, busy, send }: TestProps) {
  return (
    <section class="card test-send" aria-labelledby="test-title">
      <h2 id="test-title">Send a test</h2>
      <p class="muted">Sends this message now to one number, such as your own, under the campaign “test”.</p>
      {err.message && <Alert>{err.message}</Alert>}
      <Field id="test_to" label="Test number" error={err.fields.test_to}>
        <input {...fieldAria("test_to", err.fields.test_to)} type="tel" value={testTo} onInput={(e) => setTestTo(e.currentTarget.value.trim())} />
      </Field>
      <button type="button" disabled={busy} onClick={send}>
        Send test
      </button>
    </section>
  );
}
