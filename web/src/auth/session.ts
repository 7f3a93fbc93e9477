import { createContext, useContext } from "react";

/** `enterOrganization` switches the signed-in person into an organisation they just joined; it is
 *  absent where the sign-in provider owns the switch (Clerk's organisation switcher). */
export type Session = {
  user: string;
  signOut: () => void;
  enterOrganization?: (externalId: string, role: "admin" | "tutor" | "learner") => Promise<void>;
};

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in tree");
  return session;
}
