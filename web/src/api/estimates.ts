import { useQuery } from "@tanstack/react-query";
import { api, type Schemas } from "./client";
import { unwrap } from "./problem";

export type WorkKind = "course" | "notes" | "flashcards" | "quiz" | "remediation";

/** GET /v1/estimates: how long each kind of work usually takes here (changes slowly). */
export function useEstimate(kind: WorkKind): Schemas["WorkEstimate"] | null {
  const estimates = useQuery({
    queryKey: ["estimates"],
    queryFn: () => unwrap(api.GET("/v1/estimates")),
    staleTime: 60_000,
  });
  return estimates.data?.[kind] ?? null;
}
