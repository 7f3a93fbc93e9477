const KEY = "studyflow.dev-session";

/** `user` is the id the API knows; `name` the name as the learner typed it ("Maria Lopez"). */
export type StoredSession = { user: string; name?: string; token: string; expiresAt: number };

export function loadDevSession(): StoredSession | null {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? "null") as StoredSession | null;
    // A minute of margin: a token that expires mid-request is a confusing 401.
    return stored && stored.expiresAt - 60_000 > Date.now() ? stored : null;
  } catch {
    return null;
  }
}

export function saveDevSession(session: StoredSession): void {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearDevSession(): void {
  localStorage.removeItem(KEY);
}

/** Dispatched on window when the API rejects the session (expired or revoked token). */
export const SIGNED_OUT_EVENT = "studyflow:signed-out";
