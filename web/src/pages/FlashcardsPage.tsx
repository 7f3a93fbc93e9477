import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { downloadFile } from "../api/download";
import { isNotFound, unwrap } from "../api/problem";
import { pollWhile } from "../api/polling";
import { Citations } from "../components/Citations";
import { QualityNote } from "../components/QualityNote";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";
import { WorkProgress } from "../components/WorkProgress";
import { useKeys } from "../hooks/useKeys";
import { useStudyTimer } from "../hooks/useStudyTimer";
import { isTouchScreen, useSwipe } from "../hooks/useSwipe";
import { queryKeys } from "../api/queryKeys";

export function studyContentQuery(contentId: string) {
  return {
    queryKey: queryKeys.studyContent(contentId),
    queryFn: () => unwrap(api.GET("/v1/study-content/{content_id}", { params: { path: { content_id: contentId } } })),
    refetchInterval: pollWhile((c: Schemas["StudyContentView"]) => c.status === "generating"),
  };
}

export function FlashcardsPage() {
  const { contentId = "" } = useParams();
  const content = useQuery(studyContentQuery(contentId));
  const [index, setIndex] = useState(0);
  const [flipped, setFlipped] = useState(false);
  const exportDeck = useMutation({
    mutationFn: () => downloadFile(`/v1/study-content/${contentId}/anki`, `studyflow-${contentId}.apkg`),
  });
  const cards = content.data?.cards ?? [];
  const go = (step: number) => {
    setIndex((i) => Math.max(0, Math.min(cards.length - 1, i + step)));
    setFlipped(false);
  };
  useKeys({ Space: () => setFlipped((f) => !f), ArrowRight: () => go(1), ArrowLeft: () => go(-1) });
  // On a phone: tap flips, a swipe moves to the next or previous card.
  const swipe = useSwipe({ onLeft: () => go(1), onRight: () => go(-1) });
  const touch = isTouchScreen();
  useStudyTimer("flashcards", { enabled: content.data?.status === "completed" });

  if (content.isPending) return <Loading what="the flashcards" />;
  if (isNotFound(content.error) || content.data?.type === "quiz") return <NotFound what="flashcard set" />;
  if (content.isError) return <ErrorNotice error={content.error} onRetry={() => content.refetch()} />;
  const c = content.data;
  if (c.status === "generating") return <WorkProgress kind="flashcards" since={c.updated_at} doing="Writing your flashcards" />;
  if (c.status === "failed") return <ErrorNotice error={new Error(c.error ?? "flashcard generation failed")} />;
  const card = cards[index];
  return (
    <section className="flashcards">
      <p className="breadcrumb">
        <Link to={`/courses/${c.course_id}`}>Back to the course</Link>
      </p>
      <h1>Flashcards</h1>
      {c.near_hit && <p className="notice">These cards come from a similar course: {c.near_hit.reason}</p>}
      <QualityNote report={c.quality} noun="cards" model={c.model} />
      {card ? (
        <>
          <p className="meta" aria-live="polite">
            Card {index + 1} of {cards.length}
            {card.topic_title && ` · ${card.topic_title}`}
          </p>
          <button
            type="button"
            className={`card ${flipped ? "flipped" : ""}`}
            {...swipe}
            onClick={() => {
              if (!swipe.wasSwipe()) setFlipped((f) => !f);
            }}
            aria-describedby="flip-hint"
          >
            <span className="visually-hidden">{flipped ? "Answer: " : "Question: "}</span>
            <span className="card-face">{flipped ? card.back : card.front}</span>
          </button>
          <Citations citations={card.citations} />
          <div className="card-nav">
            <button type="button" onClick={() => go(-1)} disabled={index === 0}>
              Previous
            </button>
            <button type="button" onClick={() => go(1)} disabled={index === cards.length - 1}>
              Next
            </button>
          </div>
          <p className="hint" id="flip-hint">
            {touch ? "Tap the card to flip it; swipe to move between cards." : "Space flips the card; ← and → move between cards."}
          </p>
        </>
      ) : (
        <p className="empty">This set has no cards.</p>
      )}
      <div className="actions">
        <Link className="button" to="/review">
          Review due cards
        </Link>
        <button type="button" onClick={() => exportDeck.mutate()} disabled={exportDeck.isPending}>
          Export to Anki (.apkg)
        </button>
      </div>
      {exportDeck.isError && <ErrorNotice error={exportDeck.error} />}
    </section>
  );
}
