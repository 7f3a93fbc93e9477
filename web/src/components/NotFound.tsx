import { Link } from "react-router-dom";

export function NotFound({ what = "page" }: { what?: string }) {
  return (
    <section className="not-found">
      <h1>{what[0].toUpperCase() + what.slice(1)} not found</h1>
      <p>It does not exist, or it belongs to someone else.</p>
      <Link to="/">Back to your dashboard</Link>
    </section>
  );
}
