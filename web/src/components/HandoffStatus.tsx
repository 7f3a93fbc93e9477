import { useQuery } from "@tanstack/react-query";
import { api, type Schemas } from "../api/client";
import { unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";

export function useMyTutors(enabled = true) {
  return useQuery({ queryKey: queryKeys.myTutors(), queryFn: () => unwrap(api.GET("/v1/me/tutors")), enabled });
}

/** Where the learner's hand-off stands, in the tutor's name (the hand-off itself carries only their id). */
export function HandoffStatus({ handoff }: { handoff: Schemas["HandoffView"] }) {
  const tutors = useMyTutors(handoff.status !== "draft");
  const tutor =
    handoff.tutor_name ?? tutors.data?.links.find((l) => l.tutor_id === handoff.tutor_id)?.tutor_name ?? "Your tutor";
  const said: Record<string, string> = {
    sent: `Sent to ${tutor}: waiting for their answer.`,
    accepted: `${tutor} accepted it`,
    resolved: `${tutor} resolved it`,
    declined: `${tutor} declined it`,
  };
  if (handoff.status === "draft") return null;
  const decided = handoff.status !== "sent";
  return (
    <p role="status" className="handoff-status">
      {said[handoff.status]}
      {decided && (handoff.tutor_note ? `: ${handoff.tutor_note}` : ".")}
    </p>
  );
}
