import { ApiProblem } from "../api/problem";

/** Asking again can help only when the failure was the connection, the server, or a limit. */
export function canRetry(error: unknown): boolean {
  if (!(error instanceof ApiProblem)) return true;
  return error.status === 0 || error.status >= 500 || error.status === 408 || error.status === 429;
}

/** The API's own message; for 429 also when to try again. "Try again" only where it can help. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : "something went wrong";
  const retry = error instanceof ApiProblem ? error.retryAfterSeconds : null;
  if (!canRetry(error)) onRetry = undefined;
  return (
    <div className="error-notice" role="alert">
      <p>{message}</p>
      {retry !== null && <p>You can try again {retryMoment(retry)}.</p>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function retryMoment(seconds: number): string {
  if (seconds < 90) return `in ${Math.ceil(seconds)} seconds`;
  if (seconds < 2 * 3600) return `in ${Math.round(seconds / 60)} minutes`;
  const at = new Date(Date.now() + seconds * 1000);
  return `at ${at.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" })}`;
}
