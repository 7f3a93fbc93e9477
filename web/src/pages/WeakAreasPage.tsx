import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api } from "../api/client";
import { unwrap } from "../api/problem";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { StatusBadge } from "../components/StatusBadge";
import { queryKeys } from "../api/queryKeys";

export function WeakAreasPage() {
  const weak = useQuery({ queryKey: queryKeys.weakAreas(), queryFn: () => unwrap(api.GET("/v1/weak-areas")) });
  if (weak.isPending) return <Loading what="your weak areas" />;
  if (weak.isError) return <ErrorNotice error={weak.error} onRetry={() => weak.refetch()} />;
  const { attempts, weakest_topics: topics } = weak.data;
  return (
    <section className="weak-areas">
      <h1>Weak areas</h1>
      <h2>Topics to revisit</h2>
      {topics.length === 0 ? (
        <p className="empty">No weak topics: quizzes show where to focus.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col">Mastery</th>
              <th scope="col">Answers</th>
            </tr>
          </thead>
          <tbody>
            {topics.map((t) => (
              <tr key={t.topic_id}>
                <td>
                  <Link to={`/topics/${t.topic_id}`}>{t.topic_title}</Link>
                </td>
                <td>{Math.round(t.mastery * 100)}%</td>
                <td>
                  {t.correct} of {t.answers} right
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Attempts with gaps</h2>
      {attempts.length === 0 ? (
        <p className="empty">Nothing missed yet.</p>
      ) : (
        <ul>
          {attempts.map((a) => (
            <li key={a.attempt_id}>
              {Math.round(a.percentage)}% on {new Date(a.created_at).toLocaleString()}
              {a.remediation && (
                <>
                  {" "}
                  — <Link to={`/remediation/${a.remediation.id}`}>remediation plan</Link>{" "}
                  <StatusBadge status={a.remediation.status} />
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
