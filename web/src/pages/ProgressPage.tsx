import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { ErrorNotice } from "../components/ErrorNotice";
import { ImprovementFigures } from "../components/ImprovementFigures";
import { Loading } from "../components/Loading";

/** The learner's own improvement over the last 30 days: the figures their tutor sees. */
export function ProgressPage() {
  const improvement = useQuery({
    queryKey: queryKeys.myImprovement(),
    queryFn: () => unwrap(api.GET("/v1/analytics/me/improvement")),
  });
  return (
    <section className="progress">
      <h1>My progress</h1>
      {improvement.isPending ? (
        <Loading what="your figures" />
      ) : improvement.isError ? (
        <ErrorNotice error={improvement.error} onRetry={() => improvement.refetch()} />
      ) : improvement.data.attempts === 0 && improvement.data.reviews === 0 && improvement.data.active_days === 0 ? (
        <p className="empty">Nothing to show yet: take a quiz or review some cards, and your progress appears here.</p>
      ) : (
        <ImprovementFigures figures={improvement.data} />
      )}
    </section>
  );
}
