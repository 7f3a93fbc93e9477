import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Schemas } from "../api/client";

/** Quiz scores over time, oldest first. */
export default function ScoreChart({ attempts }: { attempts: Schemas["RecentAttempt"][] }) {
  const points = [...attempts]
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
    .map((a) => ({ when: new Date(a.created_at).toLocaleDateString(), score: Math.round(a.percentage) }));
  return (
    <figure className="chart" aria-label="Quiz scores over time">
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid stroke="#d0d7e2" strokeDasharray="3 3" />
          <XAxis dataKey="when" stroke="#3b4252" />
          <YAxis domain={[0, 100]} unit="%" stroke="#3b4252" />
          <Tooltip />
          <Line type="monotone" dataKey="score" stroke="#2952cc" strokeWidth={2} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
      <figcaption>Quiz scores over time</figcaption>
    </figure>
  );
}
