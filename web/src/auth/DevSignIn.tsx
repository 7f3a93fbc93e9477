import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api/client";
import { ApiProblem, unwrap } from "../api/problem";
import { saveDevSession, type StoredSession } from "./devSession";

/** Embedded auth only: the API mints a local session token for whoever the learner says they are. */
export function DevSignIn({ onSignedIn }: { onSignedIn: (session: StoredSession) => void }) {
  const [user, setUser] = useState("");
  const signIn = useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/v1/auth/dev-token", { body: { user: name } })),
    onSuccess: (issued) => {
      const session = { user: issued.user, token: issued.token, expiresAt: Date.now() + issued.expires_in * 1000 };
      saveDevSession(session);
      onSignedIn(session);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate(user.trim());
  };
  const problem = signIn.error instanceof ApiProblem ? signIn.error : null;
  return (
    <main className="sign-in">
      <h1>studyflow</h1>
      <p>Local development sign-in: no password, your data stays on this machine.</p>
      <form onSubmit={submit} noValidate>
        <label htmlFor="dev-user">Continue as</label>
        <input
          id="dev-user"
          name="user"
          autoComplete="username"
          value={user}
          onChange={(e) => setUser(e.target.value)}
          placeholder="alice"
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? "dev-user-error" : undefined}
          required
        />
        {problem && (
          <p id="dev-user-error" className="field-error" role="alert">
            {problem.fieldMessage("user") ?? problem.message}
          </p>
        )}
        <button type="submit" disabled={!user.trim() || signIn.isPending}>
          {signIn.isPending ? "Signing in…" : "Continue"}
        </button>
      </form>
    </main>
  );
}
