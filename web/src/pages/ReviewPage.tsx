import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { duration } from "../components/WorkProgress";
import { useKeys } from "../hooks/useKeys";
import { useStudyTimer } from "../hooks/useStudyTimer";
import { isTouchScreen, useSwipe } from "../hooks/useSwipe";

type Rating = Schemas["ReviewCreate"]["rating"];
type DueCard = Schemas["DueCard"];
const RATINGS: [Rating, string][] = [
  ["again", "Again"],
  ["hard", "Hard"],
  ["good", "Good"],
  ["easy", "Easy"],
];
const NO_TALLY: Record<Rating, number> = { again: 0, hard: 0, good: 0, easy: 0 };

/** Spaced-repetition review, as a session: the cards due when it starts; a card rated "Again"
 *  comes back at the end of the session (as in Anki), and the session ends with a summary. The
 *  API's FSRS scheduler decides what is due and, shown on each button, when it comes back. */
export function ReviewPage() {
  const queryClient = useQueryClient();
  const due = useQuery({
    queryKey: queryKeys.dueCards(),
    queryFn: () => unwrap(api.GET("/v1/flashcards/due", { params: { query: { limit: 50 } } })),
  });
  const [queue, setQueue] = useState<DueCard[] | null>(null);
  const [tally, setTally] = useState(NO_TALLY);
  const [nextDue, setNextDue] = useState<string | null>(null);
  const startedAt = useRef(Date.now());
  useEffect(() => {
    if (queue === null && due.data) setQueue(due.data.cards);
  }, [queue, due.data]);
  useStudyTimer("review", { enabled: (queue?.length ?? 0) > 0 });

  const current = queue?.[0];
  const cardPath = { params: { path: { card_id: current?.card_id ?? "" } } };
  const reveal = useMutation({ mutationFn: () => unwrap(api.GET("/v1/flashcards/{card_id}", cardPath)) });
  const rate = useMutation({
    mutationFn: (rating: Rating) => unwrap(api.POST("/v1/flashcards/{card_id}/reviews", { ...cardPath, body: { rating } })),
    onSuccess: (result) => {
      reveal.reset();
      setTally((t) => ({ ...t, [result.rating]: t[result.rating as Rating] + 1 }));
      setNextDue((soonest) => (soonest && soonest < result.due_at ? soonest : result.due_at));
      // The rated card leaves the front at once (the next Space reveals the next card); "Again"
      // puts it back at the end of this session.
      setQueue((q) => {
        if (!q) return q;
        const [rated, ...rest] = q;
        return result.rating === "again" ? [...rest, rated] : rest;
      });
      void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard() });
    },
  });
  const revealed = reveal.data && reveal.data.card_id === current?.card_id ? reveal.data : null;
  const show = () => {
    if (current && !revealed && !reveal.isPending) reveal.mutate();
  };
  const rateWith = (rating: Rating) => () => {
    if (revealed && !rate.isPending) rate.mutate(rating);
  };
  useKeys({ Space: show, "1": rateWith("again"), "2": rateWith("hard"), "3": rateWith("good"), "4": rateWith("easy") });
  // On a phone: tap the card to see the answer, then swipe left for "Again", right for "Good".
  const swipe = useSwipe({ onLeft: rateWith("again"), onRight: rateWith("good") });
  const touch = isTouchScreen();

  if (due.isPending || queue === null) return <Loading what="your due cards" />;
  if (due.isError) return <ErrorNotice error={due.error} onRetry={() => due.refetch()} />;
  const reviewed = Object.values(tally).reduce((a, b) => a + b, 0);
  if (!current) {
    return (
      <section className="review">
        <h1>Review</h1>
        {reviewed > 0 ? (
          <SessionSummary
            tally={tally}
            seconds={(Date.now() - startedAt.current) / 1000}
            nextDue={nextDue}
            onMore={() => {
              setQueue(null);
              setTally(NO_TALLY);
              setNextDue(null);
              startedAt.current = Date.now();
              void due.refetch();
            }}
          />
        ) : (
          <p className="empty">
            Nothing to review right now. <Link to="/">Back to your dashboard</Link>
          </p>
        )}
      </section>
    );
  }
  return (
    <section className="review">
      <h1>Review</h1>
      <p className="due-count" aria-live="polite">
        {queue.length} card{queue.length === 1 ? "" : "s"} left in this session
      </p>
      <div
        className="card static-card"
        {...swipe}
        onClick={() => {
          if (!swipe.wasSwipe()) show();
        }}
      >
        <p className="card-face">{current.front}</p>
        {revealed && <p className="card-back">{revealed.back}</p>}
      </div>
      {!revealed ? (
        <button type="button" onClick={show} disabled={reveal.isPending}>
          Show answer{touch ? "" : " (Space)"}
        </button>
      ) : (
        <div className="ratings" role="group" aria-label="How well did you remember?">
          {RATINGS.map(([rating, label], i) => (
            <button key={rating} type="button" onClick={rateWith(rating)} disabled={rate.isPending}>
              <span className="rating-label">
                {label}
                {touch ? "" : ` (${i + 1})`}
              </span>
              {revealed.next_due && <span className="interval">{until(revealed.next_due[rating])}</span>}
            </button>
          ))}
        </div>
      )}
      {(reveal.isError || rate.isError) && <ErrorNotice error={reveal.error ?? rate.error} />}
      <p className="hint">
        {touch
          ? "Tap the card to see the answer, then choose how well you remembered: swipe left for Again, right for Good."
          : "Space shows the answer; 1–4 rate it: Again, Hard, Good, Easy."}
      </p>
    </section>
  );
}

function SessionSummary(props: { tally: Record<Rating, number>; seconds: number; nextDue: string | null; onMore: () => void }) {
  const { tally, seconds, nextDue, onMore } = props;
  const total = Object.values(tally).reduce((a, b) => a + b, 0);
  const remembered = total - tally.again;
  return (
    <div className="session-summary" role="status">
      <h2>Session done</h2>
      <p>
        {total} review{total === 1 ? "" : "s"} in {duration(seconds)}: remembered {remembered}, again {tally.again}.
      </p>
      <ul className="tally">
        {RATINGS.map(([rating, label]) => (
          <li key={rating}>
            {label}: {tally[rating]}
          </li>
        ))}
      </ul>
      {nextDue && <p>Next review in {until(nextDue)}.</p>}
      <p>
        <button type="button" onClick={onMore}>
          Check for more due cards
        </button>{" "}
        <Link to="/">Back to your dashboard</Link>
      </p>
    </div>
  );
}

/** "in 10 min", "in 3 days": how far away a due time is, short enough for a button. */
function until(iso: string): string {
  const minutes = Math.max(1, Math.round((new Date(iso).getTime() - Date.now()) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h`;
  const days = Math.round(hours / 24);
  if (days < 60) return `${days} day${days === 1 ? "" : "s"}`;
  return `${Math.round(days / 30)} months`;
}
