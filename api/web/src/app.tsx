import { useEffect, useState } from "preact/hooks";
import { lazy, LocationProvider, Route, Router, useLocation } from "preact-iso";
import { sections, type Page } from "./nav";
import { Login } from "./pages/login";
import { Overview } from "./pages/overview";
import { Placeholder, NotFound } from "./pages/placeholder";
import { roleName, SessionProvider, useSession } from "./session";

// Pages beyond the first load come as chunks of their own.
const Send = lazy(() => import("./pages/send").then((m) => m.Send));
const ApiKeys = lazy(() => import("./pages/apikeys").then((m) => m.ApiKeys));

const built: Record<string, unknown> = { "/": Overview, "/send": Send, "/developers/api-keys": ApiKeys };

export function App() {
  return (
    <LocationProvider>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </LocationProvider>
  );
}

function Shell() {
  const { user } = useSession();
  const { path, url, route } = useLocation();
  const signedOut = user === null;
  useEffect(() => {
    if (signedOut && path !== "/login") route("/login?next=" + encodeURIComponent(url), true);
    if (user && path === "/login") route("/", true);
  }, [signedOut, user, path]);
  if (user === undefined) {
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );
  }
  if (signedOut || path === "/login") return <Login />;
  return <SignedIn />;
}

function SignedIn() {
  const [menu, setMenu] = useState(false);
  const focusTitle = () => {
    setMenu(false);
    requestAnimationFrame(() => document.querySelector<HTMLElement>("main h1")?.focus());
  };
  return (
    <div class={"shell" + (menu ? " menu-open" : "")}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header menu={menu} toggle={() => setMenu(!menu)} />
      <Nav />
      <main id="main" tabIndex={-1}>
        <Router onRouteChange={focusTitle}>
          {[
            ...sections.flatMap((s) => s.pages).map((p) => <Route key={p.path} path={p.path} component={pageComponent(p)} />),
            <Route key="404" default component={NotFound} />,
          ]}
        </Router>
      </main>
    </div>
  );
}

function pageComponent(p: Page) {
  const c = built[p.path];
  if (c) return c as () => preact.JSX.Element;
  return () => <Placeholder page={p} />;
}

function Header({ menu, toggle }: { menu: boolean; toggle: () => void }) {
  const { user, logout } = useSession();
  return (
    <header class="top">
      <button type="button" class="menu-button" aria-expanded={menu} aria-controls="nav" onClick={toggle}>
        Menu
      </button>
      <a class="brand" href="/">
        tern
      </a>
      <div class="who">
        <span class="email">{user?.email}</span>
        <span class="role">
          {user?.tenantId} · {roleName(user!.role)}
        </span>
      </div>
      <button type="button" class="quiet" onClick={() => logout()}>
        Log out
      </button>
      <button type="button" class="quiet wide-only" onClick={() => logout(true)}>
        Log out everywhere
      </button>
    </header>
  );
}

function Nav() {
  const { path } = useLocation();
  return (
    <nav id="nav" class="side" aria-label="Main">
      {sections.map((s, i) => (
        <div class="nav-section" key={i}>
          {s.title && <h2 id={"nav-" + i}>{s.title}</h2>}
          <ul aria-labelledby={s.title ? "nav-" + i : undefined}>
            {s.pages.map((p) => (
              <li key={p.path}>
                <a href={p.path} aria-current={path === p.path ? "page" : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}
