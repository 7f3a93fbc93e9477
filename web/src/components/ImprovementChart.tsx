import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Schemas } from "../api/client";

/** Week by week: the average quiz score and the share of reviews recalled (a week without any
 * leaves a gap, not a zero). The table beside it has the same figures for screen readers. */
export default function ImprovementChart({ trend }: { trend: Schemas["LearnerImprovementView"]["trend"] }) {
  const points = trend.map((week) => ({
    week: week.week_start,
    score: week.average_score == null ? null : Math.round(week.average_score),
    recalled: week.recall_rate == null ? null : Math.round(week.recall_rate * 100),
  }));
  return (
    <figure className="chart" aria-label="Average score and reviews recalled, week by week">
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid stroke="#d0d7e2" strokeDasharray="3 3" />
          <XAxis dataKey="week" stroke="#3b4252" />
          <YAxis domain={[0, 100]} unit="%" stroke="#3b4252" />
          <Tooltip />
          <Legend />
          <Line name="Average score" dataKey="score" stroke="#2952cc" strokeWidth={2} isAnimationActive={false} />
          <Line
            name="Reviews recalled"
            dataKey="recalled"
            stroke="#1b7f4b"
            strokeWidth={2}
            strokeDasharray="5 3"
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
      <figcaption>Average score and reviews recalled, week by week</figcaption>
    </figure>
  );
}
