import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { unwrap } from "../api/problem";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { useKeys } from "../hooks/useKeys";
import { queryKeys } from "../api/queryKeys";

type Rating = Schemas["ReviewCreate"]["rating"];
const RATINGS: [Rating, string][] = [
  ["again", "Again"],
  ["hard", "Hard"],
  ["good", "Good"],
  ["easy", "Easy"],
];

/** Spaced-repetition review over every due card; the API's FSRS scheduler decides what is due. */
export function ReviewPage() {
  const queryClient = useQueryClient();
  const due = useQuery({
    queryKey: queryKeys.dueCards(),
    queryFn: () => unwrap(api.GET("/v1/flashcards/due", { params: { query: { limit: 50 } } })),
  });
  const current = due.data?.cards[0];
  const cardPath = { params: { path: { card_id: current?.card_id ?? "" } } };
  const reveal = useMutation({ mutationFn: () => unwrap(api.GET("/v1/flashcards/{card_id}", cardPath)) });
  const [lastResult, setLastResult] = useState<Schemas["ReviewResult"] | null>(null);
  const rate = useMutation({
    mutationFn: (rating: Rating) => unwrap(api.POST("/v1/flashcards/{card_id}/reviews", { ...cardPath, body: { rating } })),
    onSuccess: async (result) => {
      setLastResult(result);
      reveal.reset();
      // The rated card leaves the session at once, so the next Space reveals the next card, not
      // the one whose refetch is still in flight.
      queryClient.setQueryData<Schemas["DueCards"]>(queryKeys.dueCards(), (due) =>
        due && { cards: due.cards.filter((c) => c.card_id !== result.card_id), total_due: Math.max(0, due.total_due - 1) },
      );
      await queryClient.invalidateQueries({ queryKey: queryKeys.dueCards() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard() });
    },
  });
  const revealed = reveal.data && reveal.data.card_id === current?.card_id ? reveal.data : null;
  const rateWith = (rating: Rating) => () => {
    if (revealed && !rate.isPending) rate.mutate(rating);
  };
  useKeys({
    Space: () => {
      if (current && !revealed && !reveal.isPending) reveal.mutate();
    },
    "1": rateWith("again"),
    "2": rateWith("hard"),
    "3": rateWith("good"),
    "4": rateWith("easy"),
  });

  if (due.isPending) return <Loading what="your due cards" />;
  if (due.isError) return <ErrorNotice error={due.error} onRetry={() => due.refetch()} />;
  return (
    <section className="review">
      <h1>Review</h1>
      <p className="due-count" aria-live="polite">
        {due.data.total_due} card{due.data.total_due === 1 ? "" : "s"} due
      </p>
      {lastResult && (
        <p className="notice" role="status">
          Rated {lastResult.rating}: next review {formatDue(lastResult.due_at)}.
        </p>
      )}
      {!current ? (
        <p className="empty">
          Nothing to review right now. <Link to="/">Back to your dashboard</Link>
        </p>
      ) : (
        <>
          <div className="card static-card">
            <p className="card-face">{current.front}</p>
            {revealed && <p className="card-back">{revealed.back}</p>}
          </div>
          {!revealed ? (
            <button type="button" onClick={() => reveal.mutate()} disabled={reveal.isPending}>
              Show answer (Space)
            </button>
          ) : (
            <div className="ratings" role="group" aria-label="How well did you remember?">
              {RATINGS.map(([rating, label], i) => (
                <button key={rating} type="button" onClick={rateWith(rating)} disabled={rate.isPending}>
                  {label} ({i + 1})
                </button>
              ))}
            </div>
          )}
          {(reveal.isError || rate.isError) && <ErrorNotice error={reveal.error ?? rate.error} />}
          <p className="hint">Space shows the answer; 1–4 rate it: Again, Hard, Good, Easy.</p>
        </>
      )}
    </section>
  );
}

function formatDue(iso: string): string {
  const minutes = Math.round((new Date(iso).getTime() - Date.now()) / 60000);
  if (minutes < 60) return `in ${Math.max(1, minutes)} minute${minutes === 1 ? "" : "s"}`;
  if (minutes < 48 * 60) return `in ${Math.round(minutes / 60)} hours`;
  return `on ${new Date(iso).toLocaleDateString(undefined, { weekday: "short", month: "short", day: "numeric" })}`;
}
