import { useQueryClient } from "@tanstack/react-query";
import { lazy, type ReactNode, Suspense, useCallback, useEffect, useState } from "react";
import { api, setTokenSource } from "../api/client";
import { useConfig } from "../api/config";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { unwrap } from "../api/problem";
import { clearDevSession, loadDevSession, saveDevSession, SIGNED_OUT_EVENT, type StoredSession } from "./devSession";
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
  // The organisation and role travel in the session token: joining one means a token naming it.
  const enterOrganization = useCallback(
    async (externalId: string, role: "admin" | "tutor" | "learner") => {
      if (!stored) return;
      const issued = await unwrap(
        api.POST("/v1/auth/dev-token", { body: { user: stored.name ?? stored.user, organization: externalId, role } }),
      );
      const next = { ...stored, token: issued.token, expiresAt: Date.now() + issued.expires_in * 1000 };
      saveDevSession(next);
      setTokenSource(async () => next.token);
      setStored(next);
      // Read again, keeping what is shown meanwhile: a reset would empty the config query too and
      // unmount the whole app (and the page that is switching) until it came back.
      await queryClient.invalidateQueries();
    },
    [queryClient, stored],
  );
  useEffect(() => {
    window.addEventListener(SIGNED_OUT_EVENT, signOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, signOut);
  }, [signOut]);
  if (!stored) return <DevSignIn onSignedIn={setStored} />;
  setTokenSource(async () => (loadDevSession() ? stored.token : null));
  return <SessionContext.Provider value={{ user: stored.name ?? stored.user, signOut, enterOrganization }}>{children}</SessionContext.Provider>;
}
