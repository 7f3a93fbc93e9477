import { useQueryClient } from "@tanstack/react-query";
import { lazy, type ReactNode, Suspense, useCallback, useEffect, useState } from "react";
import { setTokenSource } from "../api/client";
import { useConfig } from "../api/config";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { clearDevSession, loadDevSession, SIGNED_OUT_EVENT, type StoredSession } from "./devSession";
import { DevSignIn } from "./DevSignIn";
import { SessionContext } from "./session";

// Clerk's SDK is only downloaded when the deployment actually signs in through Clerk.
const ClerkGate = lazy(() => import("./ClerkGate"));

export function AuthGate({ children }: { children: ReactNode }) {
  const config = useConfig();
  if (config.isPending) return <Loading what="studyflow" />;
  if (config.isError) return <ErrorNotice error={config.error} />;
  if (config.data.auth_mode === "clerk") {
    if (!config.data.clerk_publishable_key) {
      return <ErrorNotice error={new Error("sign-in is not configured: CLERK_PUBLISHABLE_KEY is missing")} />;
    }
    return (
      <Suspense fallback={<Loading what="sign-in" />}>
        <ClerkGate publishableKey={config.data.clerk_publishable_key}>{children}</ClerkGate>
      </Suspense>
    );
  }
  if (!config.data.dev_sign_in) {
    return <ErrorNotice error={new Error("sign-in is unavailable: this server is not configured for it")} />;
  }
  return <DevSessionGate>{children}</DevSessionGate>;
}

function DevSessionGate({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [stored, setStored] = useState<StoredSession | null>(loadDevSession);
  const signOut = useCallback(() => {
    clearDevSession();
    setTokenSource(async () => null);
    queryClient.clear();
    setStored(null);
  }, [queryClient]);
  useEffect(() => {
    window.addEventListener(SIGNED_OUT_EVENT, signOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, signOut);
  }, [signOut]);
  if (!stored) return <DevSignIn onSignedIn={setStored} />;
  setTokenSource(async () => (loadDevSession() ? stored.token : null));
  return <SessionContext.Provider value={{ user: stored.name ?? stored.user, signOut }}>{children}</SessionContext.Provider>;
}
