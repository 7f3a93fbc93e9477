import { createContext, useContext } from "react";

export type Session = { user: string; signOut: () => void };

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in tree");
  return session;
}
