import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { Link } from "react-router-dom";
import { api } from "../api/client";
import { pollWhile } from "../api/polling";
import { unwrap } from "../api/problem";
import { courseName } from "../components/courseName";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { ProgressBar } from "../components/ProgressBar";
import { StatusBadge } from "../components/StatusBadge";
import { queryKeys } from "../api/queryKeys";

// The chart library is the heaviest thing on this page: it arrives after the numbers do.
const ScoreChart = lazy(() => import("../components/ScoreChart"));

export function DashboardPage() {
  const dashboard = useQuery({
    queryKey: queryKeys.dashboard(),
    queryFn: () => unwrap(api.GET("/v1/dashboard")),
    refetchInterval: pollWhile((d) => d.courses.some((c) => c.status === "generating")),
  });
  if (dashboard.isPending) return <Loading what="your dashboard" />;
  if (dashboard.isError) return <ErrorNotice error={dashboard.error} onRetry={() => dashboard.refetch()} />;
  const d = dashboard.data;
  const accuracy = d.quiz_questions ? Math.round((100 * d.quiz_correct) / d.quiz_questions) : null;
  return (
    <div className="dashboard">
      <h1>Your studies</h1>
      <dl className="stats">
        <Stat label="Streak" value={`${d.streak_current} day${d.streak_current === 1 ? "" : "s"}`} />
        <Stat label="Study time" value={formatMinutes(d.study_seconds)} />
        <Stat label="Quiz attempts" value={String(d.quiz_attempts)} />
        <Stat label="Accuracy" value={accuracy === null ? "–" : `${accuracy}%`} />
        <Stat label="Cards due" value={String(d.due_cards)} link={d.due_cards ? "/review" : undefined} />
      </dl>

      <section aria-labelledby="courses-heading">
        <div className="section-head">
          <h2 id="courses-heading">Courses</h2>
          <Link className="button" to="/courses/new">
            New course
          </Link>
        </div>
        {d.courses.length === 0 ? (
          <p className="empty">No courses yet. Tell studyflow what you want to learn and it builds the path.</p>
        ) : (
          <ul className="course-list">
            {d.courses.map((course) => (
              <li key={course.id}>
                <Link to={`/courses/${course.id}`}>{courseName(course)}</Link> <StatusBadge status={course.status} />
                {/* Progress is what the learner did: topics whose notes they read. */}
                <ProgressBar
                  value={course.topics_total ? (100 * (course.topics_read ?? 0)) / course.topics_total : 0}
                  label={`${courseName(course)}: your progress`}
                />
              </li>
            ))}
          </ul>
        )}
      </section>

      {d.goals.length > 0 && (
        <section aria-labelledby="goals-heading">
          <div className="section-head">
            <h2 id="goals-heading">Goals</h2>
            <Link to="/goals">All goals</Link>
          </div>
          <ul className="dashboard-goals">
            {d.goals.map((goal) => (
              <li key={goal.id}>
                {goal.description[0].toUpperCase() + goal.description.slice(1)}{" "}
                <span className={`badge state-${goal.progress.state}`}>{goal.progress.state.replace("_", " ")}</span>
                <span className="meta"> · {goal.progress.pace}</span>
              </li>
            ))}
          </ul>
        </section>
      )}

      <div className="two-columns">
        <section aria-labelledby="weak-heading">
          <h2 id="weak-heading">Weakest topics</h2>
          {d.weak_topics.length === 0 ? (
            <p className="empty">Take a quiz to see where to focus.</p>
          ) : (
            <ul>
              {d.weak_topics.map((t) => (
                <li key={t.topic_id}>
                  <Link to={`/topics/${t.topic_id}`}>{t.title}</Link> — mastery {Math.round(t.mastery * 100)}%
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="attempts-heading">
          <h2 id="attempts-heading">Recent quiz attempts</h2>
          {d.recent_attempts.length === 0 ? (
            <p className="empty">No attempts yet.</p>
          ) : (
            <>
              <Suspense fallback={<Loading what="chart" />}>
                <ScoreChart attempts={d.recent_attempts} />
              </Suspense>
              <ul className="attempt-list">
                {d.recent_attempts.map((a) => (
                  <li key={a.attempt_id}>
                    <Link to={`/quizzes/${a.quiz_id}`}>{Math.round(a.percentage)}%</Link> on{" "}
                    {new Date(a.created_at).toLocaleString()}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>
    </div>
  );
}

function Stat({ label, value, link }: { label: string; value: string; link?: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>{link ? <Link to={link}>{value}</Link> : value}</dd>
    </div>
  );
}

function formatMinutes(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
