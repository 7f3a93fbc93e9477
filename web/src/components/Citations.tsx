import type { Schemas } from "../api/client";

/** Where a card or question comes from in the learner's own material. */
export function Citations({ citations }: { citations?: Schemas["Citation"][] }) {
  if (!citations?.length) return null;
  return (
    <p className="citations">
      from: {citations.map((c) => c.label).join("; ")}
    </p>
  );
}
