import { ClerkProvider, SignIn, useAuth, useClerk, useUser } from "@clerk/clerk-react";
import type { ReactNode } from "react";
import { setTokenSource } from "../api/client";
import { SessionContext } from "./session";

/** Production sign-in: Clerk's components, and Clerk session tokens sent to the API. */
export default function ClerkGate({ publishableKey, children }: { publishableKey: string; children: ReactNode }) {
  return (
    <ClerkProvider publishableKey={publishableKey}>
      <SignedInWithClerk>{children}</SignedInWithClerk>
    </ClerkProvider>
  );
}

function SignedInWithClerk({ children }: { children: ReactNode }) {
  const { isLoaded, isSignedIn, getToken } = useAuth();
  const { user } = useUser();
  const clerk = useClerk();
  if (!isLoaded) return <p className="loading">Loading…</p>;
  if (!isSignedIn) {
    return (
      <main className="sign-in">
        <SignIn routing="hash" />
      </main>
    );
  }
  setTokenSource(() => getToken());
  const session = { user: user?.primaryEmailAddress?.emailAddress ?? user?.id ?? "", signOut: () => void clerk.signOut() };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
