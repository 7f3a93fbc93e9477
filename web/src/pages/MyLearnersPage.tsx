import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api } from "../api/client";
import { unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { useWorkspace } from "../api/workspace";
import { ErrorNotice } from "../components/ErrorNotice";
import { InviteForm } from "../components/InviteForm";
import { Loading } from "../components/Loading";

function percent(value: number | null | undefined): string {
  return value == null ? "—" : `${Math.round(value)}%`;
}

/** A tutor's linked learners, those who need attention first as the API flags them. */
export function MyLearnersPage() {
  const { organizationId, role } = useWorkspace();
  const learners = useQuery({
    queryKey: queryKeys.tutorLearners(),
    queryFn: () => unwrap(api.GET("/v1/tutor/learners")),
  });
  if (learners.isPending) return <Loading what="your learners" />;
  if (learners.isError) return <ErrorNotice error={learners.error} onRetry={() => learners.refetch()} />;
  const list = learners.data.learners;
  return (
    <section className="my-learners">
      <h1>My learners</h1>
      {list.length === 0 ? (
        <p className="empty">No learner is linked to you yet: an admin links them, or a learner accepts your invitation.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Learner</th>
              <th scope="col">Last score</th>
              <th scope="col">Streak</th>
              <th scope="col">Last active</th>
              <th scope="col">Assignments due</th>
              <th scope="col">Hand-offs</th>
            </tr>
          </thead>
          <tbody>
            {list.map((learner) => (
              <tr key={learner.id}>
                <td>
                  <Link to={`/learners/${learner.id}`}>{learner.name}</Link>
                  {learner.at_risk && <span className="badge badge-failed"> at risk{learner.at_risk_reason ? `: ${learner.at_risk_reason}` : ""}</span>}
                </td>
                <td>{percent(learner.last_score)}</td>
                <td>{learner.streak} days</td>
                <td>{learner.last_active_date ?? "never"}</td>
                <td>
                  {learner.assignments_due}
                  {learner.assignments_overdue > 0 && ` (${learner.assignments_overdue} overdue)`}
                </td>
                <td>{learner.open_handoffs}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {role === "tutor" && organizationId && <InviteForm organizationId={organizationId} roles={["learner"]} />}
    </section>
  );
}
