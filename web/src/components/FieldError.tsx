import type { ApiProblem } from "../api/problem";

/** The API's validation message for one field, announced and tied to its input by id. */
export function FieldError({ id, problem, field }: { id: string; problem: ApiProblem | null; field: string }) {
  return <FieldMessage id={id} message={problem?.fieldMessage(field)} />;
}

/** A sentence next to its field: from a check in the page or from the API. */
export function FieldMessage({ id, message }: { id: string; message?: string | null }) {
  return (
    <p id={id} className="field-error" role={message ? "alert" : undefined}>
      {message ?? ""}
    </p>
  );
}
