// The dashboard's only way to tern: Connect clients generated from
// proto/ (src/gen), over the API port the page came from. The browser
// sends the session cookie itself (same origin); the Connect protocol's
// Connect-Protocol-Version header is what lets tern accept it.
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";

const transport = createConnectTransport({
  baseUrl: window.location.origin,
  useBinaryFormat: true,
  fetch: (input, init) => globalThis.fetch(input, { ...init, credentials: "same-origin" }),
});

const clients = new Map<DescService, unknown>();

/** client returns the (shared) client of a service. */
export function client<T extends DescService>(service: T): Client<T> {
  let c = clients.get(service);
  if (!c) {
    c = createClient(service, transport);
    clients.set(service, c);
  }
  return c as Client<T>;
}

/** FieldErrors maps a request field ("to", "body") to what is wrong with it. */
export type FieldErrors = Record<string, string>;

/** Problem is an API error as the page shows it. */
export interface Problem {
  /** Errors that name a field, for display next to it. */
  fields: FieldErrors;
  /** The error when it names no field the form has. */
  message?: string;
  code?: Code;
}

const fieldPattern = /^([a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*)*): (.+)$/s;

/**
 * problem reads an error from a call: tern names the wrong field at the
 * start of the message ("to: not a valid phone number …"). A field the
 * form does not show (known is its fields) goes to message instead.
 */
export function problem(err: unknown, known: readonly string[] = []): Problem {
  const ce = ConnectError.from(err);
  const m = fieldPattern.exec(ce.rawMessage);
  if (m && known.includes(m[1])) {
    return { fields: { [m[1]]: m[2] }, code: ce.code };
  }
  return { fields: {}, message: describe(ce), code: ce.code };
}

/** describe is an error's message for people, with what to do when the code says. */
export function describe(ce: ConnectError): string {
  switch (ce.code) {
    case Code.Unimplemented:
      return "This server does not offer this yet.";
    case Code.Unavailable:
      return ce.rawMessage || "tern is unavailable; try again.";
    case Code.Unauthenticated:
      return ce.rawMessage || "Sign in again.";
    case Code.PermissionDenied:
      return ce.rawMessage ? `Not allowed: ${ce.rawMessage}.` : "Not allowed.";
  }
  return ce.rawMessage || ce.message;
}

export { Code, ConnectError };
