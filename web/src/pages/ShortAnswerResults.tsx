import { useQuery } from "@tanstack/react-query";
import { api, type Schemas } from "../api/client";
import { unwrap } from "../api/problem";

type Attempt = Schemas["AttemptResult"];
type Feedback = Schemas["ShortAnswerFeedback"];

const MARK: Record<string, string> = { "0": "Not covered", "0.5": "Partly covered", "1": "Covered" };

/** Free-text answers are graded by a workflow (and an uncertain one waits for the tutor): an
 * attempt with any is polled until every grade is final. */
export function useAttempt(submitted: Attempt): Attempt {
  const attempt = useQuery({
    queryKey: ["attempt", submitted.attempt_id],
    queryFn: () =>
      unwrap(api.GET("/v1/attempts/{attempt_id}", { params: { path: { attempt_id: submitted.attempt_id } } })),
    initialData: submitted,
    enabled: (submitted.short_answers ?? []).length > 0,
    refetchInterval: (query) => (query.state.data?.grading_status === "grading" ? 2000 : false),
  });
  return attempt.data;
}

export function ShortAnswerResults({ attempt }: { attempt: Attempt }) {
  return (
    <section className="short-answer-results" aria-labelledby="short-answers-heading">
      <h2 id="short-answers-heading">Your written answers</h2>
      <ol className="feedback">
        {(attempt.short_answers ?? []).map((item) => (
          <ShortAnswerItem key={item.question_id} item={item} />
        ))}
      </ol>
    </section>
  );
}

function statusLine(item: Feedback): string {
  if (item.status === "grading") return "Being graded…";
  if (item.status === "pending_review") return "Your tutor is reviewing this answer.";
  const confidence = item.confidence == null ? "" : ` (confidence ${Math.round(item.confidence * 100)}%)`;
  switch (item.outcome) {
    case "reviewed":
      return "Graded by your tutor.";
    case "not_reviewed":
      return `Graded automatically${confidence}: your tutor did not review it in time, so it may be off.`;
    case "no_reviewer":
      return `Graded automatically${confidence}: the grader was unsure, so it may be off.`;
    case "failed":
      return "This answer could not be graded.";
    default:
      return "Graded automatically.";
  }
}

function ShortAnswerItem({ item }: { item: Feedback }) {
  const final = item.status === "final";
  const score = item.total == null ? null : Math.round(item.total * 100);
  return (
    <li className={!final || (score !== 0 && score !== 100) ? "pending" : score === 100 ? "right" : "wrong"}>
      <p className="question-text">{item.question}</p>
      <blockquote className="learner-answer">{item.answer || <em>(no answer)</em>}</blockquote>
      <p role={final ? undefined : "status"}>
        {final && score !== null && <strong>{score}% of the key points. </strong>}
        {statusLine(item)}
      </p>
      {final && (
        <ul className="rubric-feedback">
          {item.points.map((point) => (
            <li key={point.point_id} className={`mark-${String(point.score ?? 0).replace(".", "-")}`}>
              <span className="mark">{MARK[String(point.score ?? 0)]}</span>: {point.text}
              {point.quote && (
                <>
                  {" "}
                  — you wrote: <q>{point.quote}</q>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {final && item.model_answer && <p className="explanation">A model answer: {item.model_answer}</p>}
    </li>
  );
}
