// Every page of the dashboard, in the order of the left nav. A page
// without a component yet shows its empty state: what it will do.

export type Scope = "send" | "read" | "contacts" | "admin";

export interface Page {
  path: string;
  title: string;
  /** What the page is for, shown in its empty state. */
  about: string;
  /** The scope a user's role needs to use the page. */
  needs: Scope;
}

export interface Section {
  title?: string;
  pages: Page[];
}

export const sections: Section[] = [
  {
    pages: [
      { path: "/", title: "Overview", needs: "read", about: "Live sends per minute, the delivery rate, today's spend and your recent campaigns." },
      { path: "/send", title: "Send", needs: "send", about: "Write one message and see its characters, encoding, segments and cost as you type." },
    ],
  },
  {
    title: "Audience",
    pages: [
      { path: "/contacts", title: "Contacts", needs: "contacts", about: "Search and page through your contacts, import a CSV with a progress bar and a list of row errors, keep lists, and build segments with a live count." },
      { path: "/consent", title: "Consent & opt-outs", needs: "contacts", about: "Look up one number and see its consent trail: opt-ins, STOP replies, and who recorded what, when." },
      { path: "/hygiene", title: "List hygiene", needs: "read", about: "Numbers by delivery class (valid, unreachable, landline, disconnected), with suppress and unsuppress." },
    ],
  },
  {
    title: "Messaging",
    pages: [
      { path: "/templates", title: "Templates", needs: "read", about: "Write templates with variables and fallbacks, preview them against a real contact, and see the segment count." },
      { path: "/campaigns", title: "Campaigns", needs: "read", about: "A wizard from audience to message to schedule, with the estimate of recipients, segments and cost; then live progress with pause, resume and cancel." },
      { path: "/flows", title: "Flows", needs: "read", about: "Automations such as abandoned cart: switch them on, edit their delays and templates, and see recent runs with their exit reasons." },
      { path: "/messages", title: "Messages", needs: "read", about: "Search messages and open one to see its timeline, through to the carrier's receipt." },
      { path: "/analytics", title: "Analytics", needs: "read", about: "Delivery reports with charts by day, country, carrier and error, and CSV export." },
    ],
  },
  {
    title: "Developers",
    pages: [
      { path: "/developers/api-keys", title: "API keys", needs: "admin", about: "Create API keys, see them once, and revoke them." },
      { path: "/developers/webhooks", title: "Webhooks", needs: "admin", about: "Webhook endpoints, their delivery log, and replay." },
      { path: "/developers/smpp", title: "SMPP accounts", needs: "admin", about: "Accounts of high-volume senders that bind over SMPP." },
      { path: "/developers/twilio", title: "Twilio credentials", needs: "admin", about: "Account SIDs and auth tokens of the Twilio-compatible API." },
    ],
  },
  {
    title: "Settings",
    pages: [
      { path: "/settings", title: "Settings", needs: "admin", about: "Sender ids, quiet hours, the frequency cap, STOP and HELP replies, and the dashboard's users." },
      { path: "/coverage", title: "Coverage & pricing", needs: "read", about: "For each destination country: the routes and carriers that serve it, the price per segment, and the sender id rules." },
    ],
  },
];

export const pages: Page[] = sections.flatMap((s) => s.pages);

export function pageAt(path: string): Page | undefined {
  return pages.find((p) => p.path === path);
}
