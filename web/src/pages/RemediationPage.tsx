import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { api } from "../api/client";
import { isNotFound, unwrap } from "../api/problem";
import { pollWhile } from "../api/polling";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";
import { queryKeys } from "../api/queryKeys";

export function RemediationPage() {
  const { planId = "" } = useParams();
  const plan = useQuery({
    queryKey: queryKeys.remediation(planId),
    queryFn: () => unwrap(api.GET("/v1/remediation/{plan_id}", { params: { path: { plan_id: planId } } })),
    refetchInterval: pollWhile((p) => p.status === "generating"),
  });
  if (plan.isPending) return <Loading what="your remediation plan" />;
  if (isNotFound(plan.error)) return <NotFound what="remediation plan" />;
  if (plan.isError) return <ErrorNotice error={plan.error} onRetry={() => plan.refetch()} />;
  const p = plan.data;
  return (
    <article className="remediation">
      <p className="breadcrumb">
        <Link to={`/courses/${p.course_id}`}>Back to the course</Link>
      </p>
      <h1>Your remediation plan</h1>
      {p.status === "generating" && (
        <p className="stage" role="status" aria-live="polite">
          Preparing explanations for the topics you missed…
        </p>
      )}
      {p.status === "failed" && <ErrorNotice error={new Error(p.error ?? "the plan could not be prepared")} />}
      {p.topics.map((section) => (
        <section key={section.topic_id} aria-labelledby={`plan-${section.topic_id}`}>
          <h2 id={`plan-${section.topic_id}`}>
            <Link to={`/topics/${section.topic_id}`}>{section.topic_title}</Link>
          </h2>
          <p className="explanation">{section.explanation}</p>
          <h3>Key points</h3>
          <ul>
            {section.key_points.map((point, i) => (
              <li key={i}>{point}</li>
            ))}
          </ul>
          <h3>Practice</h3>
          <ol>
            {section.practice_questions.map((q, i) => (
              <li key={i}>
                <p>{q.question}</p>
                <details>
                  <summary>Show the answer</summary>
                  <p>
                    <strong>{q.options[q.answer_index]}</strong> — {q.explanation}
                  </p>
                </details>
              </li>
            ))}
          </ol>
        </section>
      ))}
    </article>
  );
}
