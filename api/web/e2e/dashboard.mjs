// Drives the dashboard of a running tern in Debian's Chromium, as a
// person would: signs in, visits every page of the nav (axe-core on each:
// no serious or critical violation), composes a message with an emoji
// and checks the counter turns UCS-2 with the right segment count, sends
// it, and checks the phone layout and a viewer's Send page. Saves a
// screenshot of every page in OUT_DIR. Run by cmd/tern's
// TestDashboardInBrowser; by hand:
//
//   TERN_URL=http://127.0.0.1:8080 TERN_EMAIL=… TERN_PASSWORD=… OUT_DIR=/tmp/shots node e2e/dashboard.mjs
//
// Prints one JSON line of what it checked; exits 1 on the first failure.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const env = (k, d) => process.env[k] ?? d ?? fail(`${k} is not set`);
const url = env("TERN_URL");
const outDir = env("OUT_DIR");
const chromiumPath = env("CHROMIUM", "/usr/bin/chromium");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const report = { pages: [], checks: [] };

function fail(msg) {
  throw new Error(msg);
}

function check(cond, what) {
  if (!cond) fail(what);
  report.checks.push(what);
}

// Chromium as root, on a closed network: no sandbox, no background calls.
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

try {
  mkdirSync(outDir, { recursive: true });
  await run();
  console.log(JSON.stringify({ ok: true, ...report }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e?.stack ?? e), ...report }));
  process.exitCode = 1;
} finally {
  await browser.close();
}

async function newPage(viewport) {
  const ctx = await browser.newContext({ viewport, baseURL: url });
  const page = await ctx.newPage();
  page.cspViolations = [];
  page.on("console", (m) => {
    if (/Content.Security.Policy/i.test(m.text())) page.cspViolations.push(m.text());
  });
  page.on("pageerror", (e) => page.cspViolations.push("page error: " + e.message));
  return page;
}

// axe runs each page through axe-core; serious and critical violations fail.
async function axe(page, name) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const minor = res.violations.filter((v) => !bad.includes(v)).map((v) => v.id);
  report.pages.push({ name, serious: bad.map((v) => v.id), minor });
  if (bad.length) {
    fail(`axe on ${name}: ` + bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`).join("; "));
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(outDir, name + ".png"), fullPage: true });
}

async function signIn(page, email, password) {
  await page.goto("/");
  await page.waitForURL(/\/login/);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

async function run() {
  const page = await newPage({ width: 1280, height: 800 });
  await page.goto("/");
  await page.waitForURL(/\/login\?next=/);
  await page.getByRole("heading", { name: "Sign in to tern" }).waitFor();
  check((await page.evaluate(() => document.cookie)) === "", "no cookie a script can read before signing in");
  await axe(page, "login");
  await shot(page, "login");

  await page.getByLabel("Email", { exact: true }).fill(env("TERN_EMAIL"));
  await page.getByLabel("Password", { exact: true }).fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "email or password is wrong" }).waitFor();
  check(true, "a wrong password is refused on the page");
  await page.getByLabel("Password", { exact: true }).fill(env("TERN_PASSWORD"));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
  check((await page.evaluate(() => document.cookie)) === "", "the session cookie is HttpOnly");

  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement?.textContent)) === "Skip to content", "the first Tab stop skips to the content");

  await everyPage(page);
  await apiKeys(page);
  await compose(page);
  await phone(page);
  check(page.cspViolations.length === 0, "no Content-Security-Policy violation or page error: " + page.cspViolations.join("; "));
  if (process.env.TERN_VIEWER_EMAIL) await viewer();
}

// everyPage visits each page of the nav by clicking its link.
async function everyPage(page) {
  const nav = page.getByRole("navigation", { name: "Main" });
  const links = await nav.getByRole("link").evaluateAll((as) => as.map((a) => ({ name: a.textContent, href: a.getAttribute("href") })));
  check(links.length >= 16, `the nav lists every page (${links.length})`);
  for (const l of links) {
    await nav.getByRole("link", { name: l.name, exact: true }).click();
    await page.waitForURL((u) => u.pathname === l.href);
    await page.locator("main h1").waitFor();
    check((await nav.locator('[aria-current="page"]').textContent()) === l.name, `${l.name} is marked current`);
    const slug = l.href === "/" ? "overview" : l.href.slice(1).replaceAll("/", "-");
    await axe(page, slug);
    await shot(page, slug);
  }
}

// apiKeys creates a key (shown once), sees an API error next to the field
// it names, and revokes the key.
async function apiKeys(page) {
  page.on("dialog", (d) => d.accept());
  await page.goto("/developers/api-keys");
  await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
  const name = page.getByLabel("Name", { exact: true });
  await name.fill("x".repeat(201));
  await page.getByRole("button", { name: "Create key", exact: true }).click();
  await page.locator("#name-error").filter({ hasText: "at most 200 bytes" }).waitFor();
  check((await name.getAttribute("aria-invalid")) === "true", "an API error shows next to the field it names");
  await name.fill("checkout service");
  await page.getByRole("button", { name: "Create key", exact: true }).click();
  const key = await page.getByLabel("New key", { exact: true }).inputValue();
  check(/^tern_/.test(key), "a new key is shown once");
  const row = page.getByRole("row").filter({ hasText: "checkout service" });
  await row.filter({ hasText: "active" }).waitFor();
  check((await row.textContent()).includes("…" + key.slice(-4)), "the list shows the key's last four characters only");
  await axe(page, "developers-api-keys-created");
  await shot(page, "developers-api-keys-created");
  await row.getByRole("button", { name: "Revoke checkout service" }).click();
  await row.filter({ hasText: "revoked" }).waitFor();
  check(true, "a key is revoked from the page");
}

// compose types a message, adds an emoji, and sends it.
async function compose(page) {
  await page.goto("/send");
  await page.getByLabel("To", { exact: true }).fill("+14155552671");
  const body = page.getByLabel("Message", { exact: true });
  const text = "Your order #4582 has shipped! Track it at https://shop.example/t/4582";
  await body.fill(text);
  await expectCount(page, "GSM-7", 1, text);
  const emoji = text + " 🎉 Thank you for shopping with us, see you again soon";
  await body.fill(emoji);
  const units = emoji.length; // UTF-16 units: the emoji counts 2
  const segments = units <= 70 ? 1 : Math.ceil(units / 67);
  await expectCount(page, "UCS-2", segments, emoji);
  check(segments === 2, "the emoji text needs 2 UCS-2 segments");
  check((await page.locator("mark.ucs2-char").allTextContents()).join("") === "🎉", "the emoji is marked as forcing UCS-2");
  await page.locator("#suggestion").filter({ hasText: "goes as GSM-7: 1 segment instead of 2" }).waitFor();
  check(true, "the suggestion says what removing the emoji saves");
  check(/\$|USD/.test(await page.locator("#count-cost").textContent()), "the cost is shown");
  await axe(page, "send-composed");
  await shot(page, "send-composed");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "Message queued:" }).waitFor();
  const status = await page.getByRole("status").filter({ hasText: "Message queued:" }).textContent();
  check(/2 segments, UCS-2/.test(status), "the send answer says 2 segments, UCS-2: " + status);
  await shot(page, "send-sent");
}

async function expectCount(page, encoding, segments, text) {
  await page.waitForFunction(
    ([enc, seg, n]) =>
      document.querySelector("#count-encoding")?.textContent === enc &&
      document.querySelector("#count-segments")?.textContent === String(seg) &&
      document.querySelector("#count-chars")?.textContent === String(n),
    [encoding, segments, [...text].length],
  );
  check(true, `the counter shows ${encoding}, ${segments} segment(s), ${[...text].length} characters`);
}

// phone checks the layout at 390 px: no sideways scrolling, the nav behind Menu.
async function phone(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/send");
  await page.locator("main h1").waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, `no sideways scrolling at 390 px (${wide})`);
  const nav = page.getByRole("navigation", { name: "Main" });
  check(!(await nav.isVisible()), "the nav is folded on a phone");
  await page.getByRole("button", { name: "Menu" }).click();
  await nav.getByRole("link", { name: "API keys" }).click();
  await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
  check(!(await nav.isVisible()), "following a link folds the nav again");
  await page.goto("/send");
  await page.locator("main h1").waitFor();
  await axe(page, "send-phone");
  await shot(page, "send-phone");
}

// viewer signs in as a viewer: the Send page offers no send.
async function viewer() {
  const page = await newPage({ width: 1280, height: 800 });
  await signIn(page, env("TERN_VIEWER_EMAIL"), env("TERN_VIEWER_PASSWORD"));
  await page.goto("/send");
  await page.getByRole("heading", { name: "Sending needs another role" }).waitFor();
  check((await page.getByRole("button", { name: "Send", exact: true }).count()) === 0, "a viewer gets no Send button");
  await shot(page, "send-viewer");
}
