import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { client, problem, type Problem } from "../api";
import { SessionService } from "../gen/tern/v1/session_service_pb";
import { useSession } from "../session";
import { Alert, Field, fieldAria, PageTitle } from "../ui";

const fields = ["email", "password", "tenant_id"] as const;

export function Login() {
  const { signedIn } = useSession();
  const { query, route } = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [tenant, setTenant] = useState("");
  const [askTenant, setAskTenant] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<Problem>({ fields: {} });

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setErr({ fields: {} });
    try {
      const r = await client(SessionService).login({ email, password, tenantId: tenant });
      signedIn(r.user!, r.scopes);
      const next = query.next && query.next.startsWith("/") && !query.next.startsWith("//") ? query.next : "/";
      route(next, true);
    } catch (e) {
      const p = problem(e, fields);
      if (p.fields.tenant_id) setAskTenant(true);
      setErr(p);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="login">
      <form class="card login-card" onSubmit={submit} noValidate>
        <PageTitle title="Sign in">Sign in to tern</PageTitle>
        {err.message && <Alert>{err.message}</Alert>}
        <Field id="email" label="Email" error={err.fields.email}>
          <input {...fieldAria("email", err.fields.email)} type="email" autocomplete="username" required value={email}
            onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field id="password" label="Password" error={err.fields.password}>
          <input {...fieldAria("password", err.fields.password)} type="password" autocomplete="current-password" required
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        {askTenant ? (
          <Field id="tenant_id" label="Tenant" error={err.fields.tenant_id} hint="Your email signs in to several tenants: name one.">
            <input {...fieldAria("tenant_id", err.fields.tenant_id, true)} value={tenant} onInput={(e) => setTenant(e.currentTarget.value)} />
          </Field>
        ) : (
          <button type="button" class="link" onClick={() => setAskTenant(true)}>
            Name a tenant
          </button>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
