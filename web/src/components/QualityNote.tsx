import type { Schemas } from "../api/client";

/** What the quality gate did to a generated set, in one line a learner can skip. */
export function QualityNote({
  report,
  noun,
  model,
}: {
  report?: Schemas["QualityReport"] | null;
  noun: string;
  model?: string | null;
}) {
  if (!report) return null;
  if (model === "extractive") {
    // Cut from the learner's own sentences: each item cites the passage its answer is quoted from.
    return (
      <p className="meta quality-note">
        From your material: {report.served} {noun}, each quoted from the passage it cites
        {report.dropped ? `, ${report.dropped} left out for flaws` : ""}.
      </p>
    );
  }
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
