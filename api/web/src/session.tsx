// Who is signed in, as SessionService.Me says, shared by every page.
import { createContext, type ComponentChildren } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import { client, Code, ConnectError } from "./api";
import { Role, SessionService, type User } from "./gen/tern/v1/session_service_pb";
import type { Scope } from "./nav";

export interface SessionState {
  /** undefined while loading, null when signed out. */
  user: User | null | undefined;
  scopes: string[];
  /** can tells whether the user's role has a scope. */
  can: (s: Scope) => boolean;
  signedIn: (u: User, scopes: string[]) => void;
  logout: (everywhere?: boolean) => Promise<void>;
}

const Ctx = createContext<SessionState>(null as unknown as SessionState);

export const useSession = () => useContext(Ctx);

export const roleName = (r: Role) => Role[r]?.toLowerCase() ?? "unknown";

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [scopes, setScopes] = useState<string[]>([]);
  const sessions = client(SessionService);

  useEffect(() => {
    sessions.me({}).then(
      (r) => {
        setUser(r.user ?? null);
        setScopes(r.scopes);
      },
      (err) => {
        if (ConnectError.from(err).code !== Code.Unauthenticated) console.warn("session:", err);
        setUser(null);
      },
    );
  }, []);

  const signedIn = useCallback((u: User, s: string[]) => {
    setUser(u);
    setScopes(s);
  }, []);

  const logout = useCallback(async (everywhere = false) => {
    try {
      if (everywhere) await sessions.logoutEverywhere({});
      else await sessions.logout({});
    } finally {
      setUser(null);
      setScopes([]);
    }
  }, []);

  const can = useCallback((s: Scope) => scopes.includes(s), [scopes]);
  return <Ctx.Provider value={{ user, scopes, can, signedIn, logout }}>{children}</Ctx.Provider>;
}
