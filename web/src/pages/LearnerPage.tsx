import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { api } from "../api/client";
import { isNotFound, unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { ErrorNotice } from "../components/ErrorNotice";
import { ImprovementFigures } from "../components/ImprovementFigures";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";

type Fact = Record<string, unknown>;

function percent(value: number | null | undefined, scale = 1): string {
  return value == null ? "—" : `${Math.round(value * scale)}%`;
}

// The context's facts are free-form objects written by the context workflow: each is shown by
// the first field that names it, then its other short scalar fields.
const NAMING = ["name", "title", "topic", "course", "subject", "kind"];

// Mastery is stored as a share (0-1), a quiz percentage already as a percent.
function shown(key: string, value: number | string): string {
  if (typeof value !== "number") return value;
  if (key === "mastery") return `${Math.round(value * 100)}%`;
  if (key === "percentage") return `${Math.round(value)}%`;
  return String(Math.round(value * 100) / 100);
}

function describe(fact: Fact): string {
  const nameKey = NAMING.find((key) => typeof fact[key] === "string");
  const rest = Object.entries(fact)
    .filter(([key, value]) => key !== nameKey && !key.endsWith("id") && (typeof value === "number" || typeof value === "string"))
    .filter(([, value]) => String(value).length < 60)
    .map(([key, value]) => `${key.replaceAll("_", " ")}: ${shown(key, value as number | string)}`);
  return [nameKey ? String(fact[nameKey]) : null, rest.join(", ")].filter(Boolean).join(" — ");
}

function Facts({ title, facts }: { title: string; facts: Fact[] }) {
  return (
    <section>
      <h3>{title}</h3>
      {facts.length === 0 ? (
        <p className="empty">None.</p>
      ) : (
        <ul>
          {facts.map((fact, i) => (
            <li key={i}>{describe(fact)}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

const STATES: Record<string, string> = { on_track: "on track", behind: "behind", met: "met" };

/** The learner's goals as they set them, with how far along they are and the pace it takes. */
function Goals({ goals }: { goals: Fact[] }) {
  return (
    <section>
      <h3>Goals</h3>
      {goals.length === 0 ? (
        <p className="empty">No goal set.</p>
      ) : (
        <ul>
          {goals.map((g, i) => (
            <li key={i}>
              {String(g.goal)}: {String(g.percent)}%{" "}
              <span className={`badge state-${g.status === "met" ? "met" : String(g.state)}`}>
                {g.status === "met" ? "met" : STATES[String(g.state)] ?? String(g.state)}
              </span>
              {g.status !== "met" && g.pace ? <span className="meta"> {String(g.pace)}</span> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** One linked learner as their tutor sees them: where they stand, how they are improving, their
 * sessions and the hand-offs they sent. */
export function LearnerPage() {
  const { learnerId = "" } = useParams();
  const context = useQuery({
    queryKey: queryKeys.learnerContext(learnerId),
    queryFn: () =>
      unwrap(api.GET("/v1/tutor/learners/{learner_id}/context", { params: { path: { learner_id: learnerId } } })),
  });
  const improvement = useQuery({
    queryKey: queryKeys.improvement(learnerId),
    queryFn: () =>
      unwrap(api.GET("/v1/analytics/learners/{learner_id}/improvement", { params: { path: { learner_id: learnerId } } })),
  });
  const learners = useQuery({ queryKey: queryKeys.tutorLearners(), queryFn: () => unwrap(api.GET("/v1/tutor/learners")) });
  const handoffs = useQuery({ queryKey: queryKeys.handoffs(), queryFn: () => unwrap(api.GET("/v1/tutor/handoffs")) });
  if (context.isPending) return <Loading what="the learner" />;
  if (isNotFound(context.error)) return <NotFound what="learner" />;
  if (context.isError) return <ErrorNotice error={context.error} onRetry={() => context.refetch()} />;
  const c = context.data;
  const row = learners.data?.learners.find((l) => l.id === learnerId);
  const courses = row?.courses ?? [];
  const waiting = (handoffs.data?.handoffs ?? []).filter(
    (h) => h.learner_id === learnerId && (h.status === "sent" || h.status === "accepted"),
  );
  return (
    <article className="learner">
      <p className="breadcrumb">
        <Link to="/learners">My learners</Link>
      </p>
      <h1>{c.name}</h1>
      {c.summary && (
        <p>
          {c.summary}
          {c.stale && <span className="meta"> (being brought up to date)</span>}
        </p>
      )}
      {Object.keys(c.profile).length > 0 && (
        <p className="meta">
          {Object.entries(c.profile)
            .filter(([, value]) => typeof value === "number" || typeof value === "string")
            .map(([key, value]) => `${key.replaceAll("_", " ")}: ${String(value)}`)
            .join(" · ")}
        </p>
      )}
      {c.recommended_focus.length > 0 && (
        <p>
          <strong>Focus next:</strong> {c.recommended_focus.join("; ")}
        </p>
      )}
      {row && (
        <p>
          Latest quiz score: <strong>{percent(row.last_score)}</strong>
          <span className="meta">
            {" "}
            · {row.assignments_due} assignment{row.assignments_due === 1 ? "" : "s"} due
            {row.assignments_overdue > 0 && `, ${row.assignments_overdue} overdue`}
          </span>
        </p>
      )}
      <p>
        <Link to={`/sessions?learner_id=${learnerId}`}>Sessions with {c.name}</Link>
      </p>

      <section aria-labelledby="improvement-heading">
        <h2 id="improvement-heading">Learning improvement</h2>
        {improvement.isPending ? (
          <Loading what="the figures" />
        ) : improvement.isError ? (
          <ErrorNotice error={improvement.error} onRetry={() => improvement.refetch()} />
        ) : (
          <ImprovementFigures figures={improvement.data} />
        )}
      </section>

      <section aria-labelledby="courses-heading">
        <h2 id="courses-heading">Courses</h2>
        {learners.isError ? (
          <ErrorNotice error={learners.error} />
        ) : courses.length === 0 ? (
          <p className="empty">No course yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Course</th>
                <th scope="col">Progress</th>
                <th scope="col">Mastery</th>
              </tr>
            </thead>
            <tbody>
              {courses.map((course) => (
                <tr key={course.course_id}>
                  <td>{course.course}</td>
                  <td>{percent(course.progress_pct)}</td>
                  <td>{percent(course.mastery, 100)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="context-heading">
        <h2 id="context-heading">Where they stand</h2>
        <div className="two-columns">
          <Facts title="Strengths" facts={c.strengths} />
          <Facts title="Current challenges" facts={c.current_challenges} />
          <Goals goals={c.goals} />
          <Facts title="Open assignments" facts={c.open_assignments} />
          <Facts title="Recent sessions" facts={c.recent_sessions} />
          <Facts title="Practice" facts={c.practice_history} />
        </div>
      </section>

      <section aria-labelledby="handoffs-heading">
        <h2 id="handoffs-heading">Hand-offs waiting</h2>
        {handoffs.isError ? (
          <ErrorNotice error={handoffs.error} />
        ) : waiting.length === 0 ? (
          <p className="empty">No hand-off waiting.</p>
        ) : (
          <ul>
            {waiting.map((h) => (
              <li key={h.id}>
                {h.reason} <span className="meta">({h.status}, {new Date(h.created_at).toLocaleDateString()})</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}
