import { useEffect, useState } from "react";
import { useEstimate, type WorkKind } from "../api/estimates";

/** Work under way, said honestly: what is being done, for how long so far, and how long this kind
 *  of work usually takes here (from recent runs); a bar only when there is an estimate. */
export function WorkProgress({ kind, since, doing }: { kind: WorkKind; since?: string | null; doing: string }) {
  const estimate = useEstimate(kind);
  const [now, setNow] = useState(() => Date.now());
  const [seen] = useState(() => Date.now());
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);
  // The server's time of the status change; the first sight of it if it did not say.
  const started = since ? Math.min(Date.parse(since), now) : seen;
  const elapsed = Math.max(0, (now - started) / 1000);
  const typical = estimate?.typical_seconds ?? null;
  const pct = typical ? Math.min(95, Math.round((100 * elapsed) / Math.max(typical, 1))) : null;
  return (
    <div className="work-progress">
      <p className="stage" role="status">
        {doing}…
      </p>
      {pct !== null && (
        <div className="progress" role="progressbar" aria-label={doing} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
          <div className="progress-fill" style={{ width: `${pct}%` }} />
        </div>
      )}
      <p className="meta">
        {duration(elapsed)} so far
        {typical !== null &&
          (elapsed > typical * 1.5
            ? ` · taking longer than the usual ${duration(typical)}`
            : ` · usually about ${duration(typical)}`)}
        . You can leave this page: you will be told when it is ready.
      </p>
    </div>
  );
}

export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 && m < 10 ? `${m} min ${s % 60} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
