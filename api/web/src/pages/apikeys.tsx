import { useEffect, useState } from "preact/hooks";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { client, Code, problem, type Problem } from "../api";
import { AdminService, ApiKeyScope, type ApiKey } from "../gen/tern/v1/admin_service_pb";
import { roleName, useSession } from "../session";
import { Alert, EmptyState, Field, fieldAria, PageTitle } from "../ui";

const scopes: [ApiKeyScope, string, string][] = [
  [ApiKeyScope.SEND, "send", "Send, estimate and cancel messages"],
  [ApiKeyScope.READ, "read", "Read messages and reports"],
  [ApiKeyScope.CONTACTS, "contacts", "Record and read consent, manage contacts"],
  [ApiKeyScope.ADMIN, "admin", "Manage keys, senders and policy"],
];

const scopeName = (s: ApiKeyScope) => scopes.find(([v]) => v === s)?.[1] ?? "?";
const date = (k: ApiKey, f: "createdAt" | "revokedAt") => (k[f] ? timestampDate(k[f]!).toLocaleString() : "");

export function ApiKeys() {
  const { can, user } = useSession();
  if (!can("admin")) {
    return (
      <>
        <PageTitle title="API keys">API keys</PageTitle>
        <EmptyState title="API keys need the admin role">
          <p>Your role ({roleName(user!.role)}) cannot manage API keys. An owner or admin of your tenant can.</p>
        </EmptyState>
      </>
    );
  }
  return <KeyManager />;
}

function KeyManager() {
  const [keys, setKeys] = useState<ApiKey[]>();
  const [listErr, setListErr] = useState<Problem>();
  const [created, setCreated] = useState<{ key: string; name: string }>();
  const admin = client(AdminService);

  const load = () =>
    admin.listApiKeys({}).then(
      (r) => {
        setKeys(r.apiKeys);
        setListErr(undefined);
      },
      (e) => setListErr(problem(e)),
    );
  useEffect(() => {
    load();
  }, []);

  async function revoke(k: ApiKey) {
    if (!confirm(`Revoke the key “${k.name || k.id}” (…${k.last4})? Calls with it stop working within a second.`)) return;
    try {
      await admin.revokeApiKey({ id: k.id });
      await load();
    } catch (e) {
      setListErr(problem(e));
    }
  }

  return (
    <>
      <PageTitle title="API keys">API keys</PageTitle>
      <p class="lead">Your store's backend sends with a key: <code>Authorization: Bearer KEY</code>. tern keeps only a hash of it.</p>
      {created && (
        <Alert kind="ok">
          <p>
            The key “{created.name || "unnamed"}”. Copy it now: it is not shown again.
          </p>
          <label for="new-key">New key</label>
          <input id="new-key" class="secret" readOnly value={created.key} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => navigator.clipboard?.writeText(created.key)}>
            Copy
          </button>
        </Alert>
      )}
      {listErr?.code === Code.Unimplemented ? (
        <EmptyState title="Not served here">
          <p>This tern serves no AdminService yet: its keys come from its configuration file (tern apikey, tern keygen).</p>
        </EmptyState>
      ) : (
        <>
          <CreateKey onCreated={(key, name) => { setCreated({ key, name }); load(); }} />
          <section aria-labelledby="keys-title">
            <h2 id="keys-title">Keys</h2>
            {listErr && <Alert>{listErr.message}</Alert>}
            {keys && keys.length === 0 && <p>No keys yet.</p>}
            {keys && keys.length > 0 && <KeyTable keys={keys} revoke={revoke} />}
          </section>
        </>
      )}
    </>
  );
}

function KeyTable({ keys, revoke }: { keys: ApiKey[]; revoke: (k: ApiKey) => void }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Status</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.name || <span class="muted">unnamed</span>}</td>
              <td><code>…{k.last4}</code> <span class="muted">{k.id}</span></td>
              <td>{k.scopes.map(scopeName).join(", ")}</td>
              <td>{date(k, "createdAt")}</td>
              <td>{k.revokedAt ? `revoked ${date(k, "revokedAt")}` : "active"}</td>
              <td>
                {!k.revokedAt && k.source !== "config" && (
                  <button type="button" class="danger" onClick={() => revoke(k)} aria-label={`Revoke ${k.name || k.id}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CreateKey({ onCreated }: { onCreated: (key: string, name: string) => void }) {
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<ApiKeyScope[]>([ApiKeyScope.SEND, ApiKeyScope.READ, ApiKeyScope.CONTACTS]);
  const [err, setErr] = useState<Problem>({ fields: {} });
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErr({ fields: {} });
    try {
      const r = await client(AdminService).createApiKey({ name, scopes: chosen });
      onCreated(r.key, name);
      setName("");
    } catch (e) {
      setErr(problem(e, ["name", "scopes"]));
    } finally {
      setBusy(false);
    }
  }
  const toggle = (s: ApiKeyScope, on: boolean) => setChosen(on ? [...chosen, s] : chosen.filter((c) => c !== s));
  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-title" noValidate>
      <h2 id="create-title">Create a key</h2>
      {err.message && <Alert>{err.message}</Alert>}
      <Field id="name" label="Name" error={err.fields.name} hint="What uses it, e.g. checkout service">
        <input {...fieldAria("name", err.fields.name, true)} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <fieldset aria-describedby={err.fields.scopes ? "scopes-error" : undefined}>
        <legend>Scopes</legend>
        {scopes.map(([s, n, about]) => (
          <div class="check" key={s}>
            <input id={"scope-" + n} type="checkbox" checked={chosen.includes(s)} onChange={(e) => toggle(s, e.currentTarget.checked)} />
            <label for={"scope-" + n}>
              <strong>{n}</strong>: {about}
            </label>
          </div>
        ))}
        {err.fields.scopes && <p class="field-error" id="scopes-error">{err.fields.scopes}</p>}
      </fieldset>
      <button type="submit" class="primary" disabled={busy}>
        Create key
      </button>
    </form>
  );
}
