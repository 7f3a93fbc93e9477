/** An API error as the learner should read it: the API's own message, field errors, retry time. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: { field: string; message: string }[];
  readonly retryAfterSeconds: number | null;

  constructor(status: number, code: string, message: string, fields: ApiProblem["fields"], retryAfter: number | null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfterSeconds = retryAfter;
  }

  static from(response: Response, body: unknown): ApiProblem {
    const error = (body as { error?: { code?: string; message?: string; fields?: ApiProblem["fields"] } })?.error;
    const retry = Number(response.headers.get("Retry-After"));
    return new ApiProblem(
      response.status,
      error?.code ?? "error",
      error?.message ?? `the server answered ${response.status}`,
      error?.fields ?? [],
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
  }

  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field || f.field.startsWith(`${field}.`))?.message;
  }
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/** Unwraps an openapi-fetch call: the typed data, or an ApiProblem thrown for TanStack Query. */
export async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await call;
  } catch {
    throw new ApiProblem(0, "offline", "cannot reach studyflow; check your connection", [], null);
  }
  if (!outcome.response.ok) throw ApiProblem.from(outcome.response, outcome.error);
  return outcome.data as T;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiProblem && error.status === 404;
}
