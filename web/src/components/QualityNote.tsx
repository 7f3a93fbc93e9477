import type { Schemas } from "../api/client";

/** What the quality gate did to a generated set, in one line a learner can skip. */
export function QualityNote({ report, noun }: { report?: Schemas["QualityReport"] | null; noun: string }) {
  if (!report) return null;
  const fixed = report.repaired ? `, ${report.repaired} rewritten` : "";
  const dropped = report.dropped + report.invalid;
  return (
    <p className="meta quality-note">
      Quality-checked: {report.served} {noun}
      {fixed}
      {dropped ? `, ${dropped} left out for flaws` : ""}.
    </p>
  );
}
