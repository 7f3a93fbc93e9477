import type { ApiProblem } from "../api/problem";

/** The API's validation message for one field, announced and tied to its input by id. */
export function FieldError({ id, problem, field }: { id: string; problem: ApiProblem | null; field: string }) {
  const message = problem?.fieldMessage(field);
  return (
    <p id={id} className="field-error" role={message ? "alert" : undefined}>
      {message ?? ""}
    </p>
  );
}
