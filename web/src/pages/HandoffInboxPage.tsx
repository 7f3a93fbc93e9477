import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { isNotFound, unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { ErrorNotice } from "../components/ErrorNotice";
import { HandoffStatus } from "../components/HandoffStatus";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";

type Handoff = Schemas["HandoffView"];
type Summary = {
  recent_questions?: string[];
  weak_topics?: { title: string; course?: string; mastery: number }[];
  practice?: { attempts?: number; average_percentage?: number | null };
};

const SHOWN: Record<string, string> = { sent: "waiting", accepted: "accepted", resolved: "resolved", declined: "declined" };
const OPEN = new Set(["sent", "accepted"]);

/** What learners sent their tutor from the tutor chat, those waiting first; a notification's link
 *  (`/tutor/handoffs/:id`) brings that one into view. */
export function HandoffInboxPage() {
  const { handoffId } = useParams();
  const inbox = useQuery({ queryKey: queryKeys.handoffs(), queryFn: () => unwrap(api.GET("/v1/tutor/handoffs")) });
  if (inbox.isPending) return <Loading what="the hand-offs" />;
  if (inbox.isError) return <ErrorNotice error={inbox.error} onRetry={() => inbox.refetch()} />;
  const all = inbox.data.handoffs;
  const waiting = all.filter((h) => OPEN.has(h.status));
  const decided = all.filter((h) => !OPEN.has(h.status));
  return (
    <section className="handoffs">
      <h1>Hand-offs</h1>
      <p className="meta">
        {waiting.length} waiting · {decided.length} decided
      </p>
      {all.length === 0 && <p className="empty">No learner has asked for your help from the tutor chat yet.</p>}
      {[...waiting, ...decided].map((h) => (
        <HandoffItem key={h.id} handoff={h} focused={h.id === handoffId} />
      ))}
    </section>
  );
}

function HandoffItem({ handoff: h, focused }: { handoff: Handoff; focused: boolean }) {
  const queryClient = useQueryClient();
  const [note, setNote] = useState("");
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (focused) ref.current?.scrollIntoView({ block: "start" });
  }, [focused]);
  const decide = useMutation({
    mutationFn: (decision: "accept" | "resolve" | "decline") =>
      unwrap(
        api.POST("/v1/tutor-handoffs/{handoff_id}/decision", {
          params: { path: { handoff_id: h.id } },
          body: { decision, note: note || null },
        }),
      ),
    onSuccess: () => {
      setNote("");
      void queryClient.invalidateQueries({ queryKey: queryKeys.handoffs() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.tutorLearners() });
    },
  });
  const summary = h.summary as Summary;
  const headingId = `handoff-${h.id}`;
  const noteId = `handoff-note-${h.id}`;
  const learner = h.learner_name ?? "A learner";
  return (
    <article ref={ref} className={`handoff${focused ? " focused" : ""}`} aria-labelledby={headingId}>
      <h2 id={headingId}>
        <Link to={`/learners/${h.learner_id}`}>{learner}</Link>{" "}
        <span className={`badge state-${h.status}`}>{SHOWN[h.status] ?? h.status}</span>
      </h2>
      <p>{h.reason}</p>
      <p className="meta">
        Sent {h.sent_at ? new Date(h.sent_at).toLocaleString() : "—"}
        {h.tutor_name && ` to ${h.tutor_name}`}
      </p>
      {(summary.recent_questions?.length ?? 0) > 0 && (
        <>
          <h3>Their recent questions</h3>
          <ul>
            {summary.recent_questions?.map((q, i) => (
              <li key={i}>{q}</li>
            ))}
          </ul>
        </>
      )}
      {(summary.weak_topics?.length ?? 0) > 0 && (
        <>
          <h3>Weakest topics</h3>
          <ul>
            {summary.weak_topics?.map((t) => (
              <li key={t.title}>
                {t.title}
                {t.course && <span className="meta"> ({t.course})</span>}: mastery {Math.round(t.mastery * 100)}%
              </li>
            ))}
          </ul>
        </>
      )}
      {summary.practice && (
        <p className="meta">
          {summary.practice.attempts ?? 0} quiz attempts
          {summary.practice.average_percentage != null && `, ${Math.round(summary.practice.average_percentage)}% on average`}
        </p>
      )}
      {h.tutor_note && !OPEN.has(h.status) && <p>Your note: {h.tutor_note}</p>}
      {OPEN.has(h.status) && (
        <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor={noteId}>Note for {learner} (optional)</label>
          <textarea id={noteId} rows={2} maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} />
          {h.status === "sent" && (
            <button type="button" onClick={() => decide.mutate("accept")} disabled={decide.isPending}>
              Accept
            </button>
          )}
          <button type="button" onClick={() => decide.mutate("resolve")} disabled={decide.isPending}>
            Resolve
          </button>
          <button type="button" onClick={() => decide.mutate("decline")} disabled={decide.isPending}>
            Decline
          </button>
        </form>
      )}
      {decide.isError && <ErrorNotice error={decide.error} />}
    </article>
  );
}

/** A learner's own hand-off, where the notification of the tutor's answer leads. */
export function HandoffPage() {
  const { handoffId = "" } = useParams();
  const handoff = useQuery({
    queryKey: queryKeys.handoff(handoffId),
    queryFn: () => unwrap(api.GET("/v1/tutor-handoffs/{handoff_id}", { params: { path: { handoff_id: handoffId } } })),
  });
  if (handoff.isPending) return <Loading what="your request for help" />;
  if (isNotFound(handoff.error)) return <NotFound what="request for help" />;
  if (handoff.isError) return <ErrorNotice error={handoff.error} onRetry={() => handoff.refetch()} />;
  const h = handoff.data;
  return (
    <section className="handoff">
      <h1>Your request for help</h1>
      <p>{h.reason}</p>
      {h.status === "draft" ? <p>Not sent yet.</p> : <HandoffStatus handoff={h} />}
      <p>
        <Link to={`/chat/${h.conversation_id}`}>Back to the conversation</Link>
      </p>
    </section>
  );
}
