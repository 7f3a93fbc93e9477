import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api/client";
import { ApiProblem, unwrap } from "../api/problem";
import { saveDevSession, type StoredSession } from "./devSession";

/** Checked here before asking the API, which says the same: a name needs a letter or digit. */
function nameProblem(name: string): string | null {
  if (!name.trim()) return "Enter your name.";
  if (!/[\p{L}\p{N}]/u.test(name)) return "Use letters or digits in your name.";
  return null;
}

type Space = "personal" | "learner" | "tutor" | "admin";
/** The demo organisation `studyflow demo-org` seeds; signing in to it with a role shows that side. */
const DEMO_ORG = "org_demo";

/** Embedded auth only: the API mints a local session token for whoever the learner says they are. */
export function DevSignIn({ onSignedIn }: { onSignedIn: (session: StoredSession) => void }) {
  const [name, setName] = useState("");
  const [space, setSpace] = useState<Space>("personal");
  const [checked, setChecked] = useState<string | null>(null);
  const signIn = useMutation({
    mutationFn: (typed: string) =>
      unwrap(
        api.POST("/v1/auth/dev-token", {
          body:
            space === "personal"
              ? { user: typed, role: "learner" }
              : { user: typed, organization: DEMO_ORG, role: space },
        }),
      ),
    onSuccess: (issued) => {
      const session = {
        user: issued.user,
        name: issued.display_name,
        token: issued.token,
        expiresAt: Date.now() + issued.expires_in * 1000,
      };
      saveDevSession(session);
      onSignedIn(session);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problem = nameProblem(name);
    setChecked(problem);
    if (!problem) signIn.mutate(name.trim());
  };
  const apiProblem = signIn.error instanceof ApiProblem ? signIn.error : null;
  const message = checked ?? (apiProblem ? (apiProblem.fieldMessage("user") ?? apiProblem.message) : null);
  return (
    <main className="sign-in">
      <div className="sign-in-card">
        <h1>studyflow</h1>
        <p>Local sign-in: no password, your data stays on this machine.</p>
        <form onSubmit={submit} noValidate>
          <label htmlFor="dev-user">Your name</label>
          <input
            id="dev-user"
            name="user"
            autoComplete="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Maria Lopez"
            aria-invalid={message ? true : undefined}
            aria-describedby={message ? "dev-user-error" : undefined}
            required
          />
          {message && (
            <p id="dev-user-error" className="field-error" role="alert">
              {message}
            </p>
          )}
          <label htmlFor="dev-space">Sign in as</label>
          <select id="dev-space" name="space" value={space} onChange={(e) => setSpace(e.target.value as Space)}>
            <option value="personal">A learner studying alone</option>
            <option value="learner">A learner in the demo centre</option>
            <option value="tutor">A tutor in the demo centre</option>
            <option value="admin">An admin of the demo centre</option>
          </select>
          <button type="submit" disabled={signIn.isPending}>
            {signIn.isPending ? "Signing in…" : "Continue"}
          </button>
        </form>
      </div>
    </main>
  );
}
