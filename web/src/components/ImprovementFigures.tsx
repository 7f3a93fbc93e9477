import { lazy, Suspense } from "react";
import type { Schemas } from "../api/client";
import { Loading } from "./Loading";

const ImprovementChart = lazy(() => import("./ImprovementChart"));

/** A learner's improvement over a period, as they and their tutor see it: score before and after,
 * concepts mastered, engagement, review retention, and the week-by-week trend. */

function percent(value: number | null | undefined, scale = 1): string {
  return value == null ? "—" : `${Math.round(value * scale)}%`;
}

function signed(value: number | null | undefined): string {
  if (value == null) return "—";
  const rounded = Math.round(value);
  return `${rounded > 0 ? "+" : ""}${rounded} points`;
}

export function ImprovementFigures({ figures: f }: { figures: Schemas["LearnerImprovementView"] }) {
  return (
    <>
      <p className="meta">
        {f.first} to {f.last}
        {f.not_rolled > 0 && ` (${f.not_rolled} days not counted yet)`}
      </p>
      <dl className="stats">
        <div className="stat">
          <dt>Score before</dt>
          <dd>{percent(f.score_before)}</dd>
        </div>
        <div className="stat">
          <dt>Score after</dt>
          <dd>{percent(f.score_after)}</dd>
        </div>
        <div className="stat">
          <dt>Change</dt>
          <dd>{signed(f.score_change)}</dd>
        </div>
        <div className="stat">
          <dt>Concepts mastered</dt>
          <dd>
            {f.mastered_end} ({f.mastered_change >= 0 ? "+" : ""}
            {f.mastered_change})
          </dd>
        </div>
        <div className="stat">
          <dt>Active days</dt>
          <dd>
            {f.active_days} of {f.days} ({percent(f.engagement_rate, 100)})
          </dd>
        </div>
        <div className="stat">
          <dt>Review retention</dt>
          <dd>
            {percent(f.measured_retention, 100)} recalled
            {f.predicted_retention != null && `, ${percent(f.predicted_retention, 100)} predicted`}
          </dd>
        </div>
        <div className="stat">
          <dt>Quiz attempts</dt>
          <dd>{f.attempts}</dd>
        </div>
        <div className="stat">
          <dt>Sessions</dt>
          <dd>{f.sessions}</dd>
        </div>
        <div className="stat">
          <dt>Assignments on time</dt>
          <dd>
            {f.assignments_on_time} of {f.assignments_due}
          </dd>
        </div>
      </dl>
      {f.trend.length > 0 && (
        <Suspense fallback={<Loading what="chart" />}>
          <ImprovementChart trend={f.trend} />
        </Suspense>
      )}
      {f.trend.length > 0 && (
        <table>
          <caption>Week by week</caption>
          <thead>
            <tr>
              <th scope="col">Week of</th>
              <th scope="col">Average score</th>
              <th scope="col">Attempts</th>
              <th scope="col">Reviews</th>
              <th scope="col">Mastered</th>
              <th scope="col">Active days</th>
            </tr>
          </thead>
          <tbody>
            {f.trend.map((week) => (
              <tr key={week.week_start}>
                <td>{week.week_start}</td>
                <td>{percent(week.average_score)}</td>
                <td>{week.attempts}</td>
                <td>{week.reviews}</td>
                <td>{week.mastered}</td>
                <td>{week.active_days}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {f.concepts.length > 0 && (
        <details>
          <summary>Mastery by concept ({f.concepts.length})</summary>
          <ul>
            {f.concepts.map((concept) => (
              <li key={concept.topic_id}>
                {concept.topic} <span className="meta">({concept.course})</span>: {percent(concept.mastery, 100)}
                {concept.mastered ? " — mastered" : ""}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
