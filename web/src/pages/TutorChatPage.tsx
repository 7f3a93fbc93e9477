import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { useConfig } from "../api/config";
import { onAnswerDelta } from "../api/liveEvents";
import { ApiProblem, isNotFound, unwrap } from "../api/problem";
import { useWorkspace } from "../api/workspace";
import { courseName } from "../components/courseName";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { HandoffStatus, useMyTutors } from "../components/HandoffStatus";
import { NotFound } from "../components/NotFound";
import { queryKeys } from "../api/queryKeys";

type Message = Schemas["MessageView"];

/** The list of conversations, and a way to start one: about one course (its notes and the
 *  material it was built from) or about all of the learner's material. */
export function TutorChatListPage() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [courseId, setCourseId] = useState(params.get("course") ?? "");
  const courses = useQuery({ queryKey: queryKeys.courses(), queryFn: () => unwrap(api.GET("/v1/courses")) });
  const conversations = useQuery({ queryKey: queryKeys.conversations(), queryFn: () => unwrap(api.GET("/v1/conversations")) });
  const start = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/conversations", { body: { course_id: courseId || null } })),
    onSuccess: (conversation) => navigate(`/chat/${conversation.id}`),
  });
  const names = new Map((courses.data?.items ?? []).map((c) => [c.id, courseName(c)]));
  return (
    <section className="chat-list">
      <h1>Ask your tutor</h1>
      <p className="meta">Questions are answered from your own material, with the passages they come from.</p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          start.mutate();
        }}
      >
        <label htmlFor="chat-course">About</label>
        <select id="chat-course" value={courseId} onChange={(e) => setCourseId(e.target.value)}>
          <option value="">All my material</option>
          {(courses.data?.items ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {courseName(c)}
            </option>
          ))}
        </select>
        <button type="submit" disabled={start.isPending}>
          New conversation
        </button>
      </form>
      {start.error instanceof ApiProblem && <ErrorNotice error={start.error} />}
      {conversations.isPending ? (
        <Loading what="your conversations" />
      ) : conversations.isError ? (
        <ErrorNotice error={conversations.error} onRetry={() => conversations.refetch()} />
      ) : (
        <ul>
          {conversations.data.items.map((c) => (
            <li key={c.id}>
              <Link to={`/chat/${c.id}`}>{c.title}</Link>
              <span className="meta"> · {c.course_id ? (names.get(c.course_id) ?? "one course") : "all my material"}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function TutorChatPage() {
  const { conversationId = "" } = useParams();
  const queryClient = useQueryClient();
  const [question, setQuestion] = useState("");
  const [pending, setPending] = useState<{ requestId: string; question: string } | null>(null);
  const [streamed, setStreamed] = useState("");
  const conversation = useQuery({
    queryKey: queryKeys.conversation(conversationId),
    queryFn: () =>
      unwrap(api.GET("/v1/conversations/{conversation_id}", { params: { path: { conversation_id: conversationId } } })),
    // The finished answer is persisted after the stream ends: poll until it is there.
    refetchInterval: (query) =>
      pending && !query.state.data?.messages?.some((m) => m.role === "tutor" && m.request_id === pending.requestId)
        ? 1000
        : false,
  });
  const answered = conversation.data?.messages?.some((m) => m.role === "tutor" && m.request_id === pending?.requestId);
  useEffect(
    () =>
      onAnswerDelta((delta) => {
        if (delta.id !== conversationId || delta.request_id !== pending?.requestId) return;
        setStreamed((text) => (delta.offset === text.length ? text + delta.delta : text));
      }),
    [conversationId, pending?.requestId],
  );
  const ask = useMutation({
    mutationFn: (text: string) =>
      unwrap(
        api.POST("/v1/conversations/{conversation_id}/messages", {
          params: { path: { conversation_id: conversationId } },
          body: { question: text },
        }),
      ),
    onSuccess: (accepted, text) => {
      setQuestion("");
      setStreamed("");
      setPending({ requestId: (accepted as Schemas["QuestionAccepted"]).request_id, question: text });
      void queryClient.invalidateQueries({ queryKey: queryKeys.conversation(conversationId) });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (question.trim()) ask.mutate(question.trim());
  };

  if (conversation.isPending) return <Loading what="the conversation" />;
  if (isNotFound(conversation.error)) return <NotFound what="conversation" />;
  if (conversation.isError) return <ErrorNotice error={conversation.error} onRetry={() => conversation.refetch()} />;
  const messages = conversation.data.messages ?? [];
  return (
    <section className="chat">
      <p className="breadcrumb">
        <Link to="/chat">All conversations</Link>
      </p>
      <h1>{conversation.data.title}</h1>
      <ol className="messages" aria-live="polite">
        {messages.map((m) => (
          <ChatMessage key={m.id} message={m} />
        ))}
        {pending && !answered && (
          <>
            <li className="message learner">
              <p>{pending.question}</p>
            </li>
            <li className="message tutor" aria-busy="true">
              <p className="streaming">{streamed || "Looking through your material…"}</p>
            </li>
          </>
        )}
      </ol>
      <form onSubmit={submit} className="ask-form">
        <label htmlFor="question">Your question</label>
        <textarea id="question" rows={3} value={question} onChange={(e) => setQuestion(e.target.value)} />
        <button type="submit" disabled={!question.trim() || ask.isPending || (pending !== null && !answered)}>
          Ask
        </button>
      </form>
      {ask.error instanceof ApiProblem && <ErrorNotice error={ask.error} />}
    </section>
  );
}

function ChatMessage({ message }: { message: Message }) {
  if (message.role === "learner") {
    return (
      <li className="message learner">
        <p>{message.text}</p>
      </li>
    );
  }
  const citations = message.citations ?? [];
  return (
    <li className="message tutor">
      <p>{message.text}</p>
      {citations.length > 0 && (
        <ol className="sources-cited" aria-label="Where this comes from">
          {citations.map((c) => (
            <li key={c.chunk_id} value={c.number}>
              <span className="citation-label">{c.label}</span>: <q>{c.excerpt}</q>
            </li>
          ))}
        </ol>
      )}
      {message.suggest_tutor && message.handoff_id && <TutorSuggestion reason={message.tutor_reason} handoffId={message.handoff_id} />}
    </li>
  );
}

/** The tutor's judgement that the learner's material is not enough here. A learner of an
 *  organisation sends it to their tutor, and sees what became of it. Otherwise a human tutor is
 *  offered only where one can be booked (GET /v1/config `human_tutors`), and it points at what the
 *  learner can do: their weakest topics, from the same summary a tutor would read. */
function TutorSuggestion({ reason, handoffId }: { reason?: string | null; handoffId: string }) {
  const humanTutors = useConfig().data?.human_tutors ?? false;
  const inOrganisation = useWorkspace().role === "learner";
  const [open, setOpen] = useState(false);
  const handoff = useQuery({
    queryKey: queryKeys.handoff(handoffId),
    enabled: open || inOrganisation,
    queryFn: () => unwrap(api.GET("/v1/tutor-handoffs/{handoff_id}", { params: { path: { handoff_id: handoffId } } })),
  });
  const summary = handoff.data?.summary as { weak_topics?: { title: string; mastery: number }[] } | undefined;
  return (
    <div className="notice tutor-suggestion" role="note">
      <p>
        {inOrganisation ? "Your tutor could help" : humanTutors ? "A human tutor could help" : "Your material may not be enough here"}
        {reason ? `: ${reason}.` : "."}
      </p>
      {inOrganisation && handoff.data && <SendToTutor handoff={handoff.data} />}
      <button type="button" className="link-button" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        {open ? "Hide" : "Show"} {humanTutors || inOrganisation ? "what a tutor would see" : "your weakest topics"}
      </button>
      {open && summary?.weak_topics && (
        <ul>
          {summary.weak_topics.map((t) => (
            <li key={t.title}>
              {t.title}: mastery {Math.round(t.mastery * 100)}%
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Sending lets the tutor read this conversation and its summary; with several tutors the learner
 *  picks one. Without a tutor the API says so plainly, and that is what the learner reads. */
function SendToTutor({ handoff }: { handoff: Schemas["HandoffView"] }) {
  const queryClient = useQueryClient();
  const tutors = useMyTutors(handoff.status === "draft");
  const links = tutors.data?.links ?? [];
  const [tutorId, setTutorId] = useState("");
  const send = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/tutor-handoffs/{handoff_id}/send", {
          params: { path: { handoff_id: handoff.id } },
          body: { tutor_id: tutorId || null },
        }),
      ),
    onSuccess: (sent) => queryClient.setQueryData(queryKeys.handoff(handoff.id), sent),
  });
  if (handoff.status !== "draft") return <HandoffStatus handoff={handoff} />;
  const several = links.length > 1;
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        send.mutate();
      }}
    >
      {several && (
        <>
          <label htmlFor={`send-to-${handoff.id}`}>Send to</label>
          <select id={`send-to-${handoff.id}`} value={tutorId} onChange={(e) => setTutorId(e.target.value)}>
            <option value="">Choose…</option>
            {links.map((l) => (
              <option key={l.id} value={l.tutor_id}>
                {l.tutor_name}
              </option>
            ))}
          </select>
        </>
      )}
      <button type="submit" disabled={send.isPending || (several && !tutorId)}>
        {links.length === 1 ? `Send this to ${links[0].tutor_name}` : "Send this to my tutor"}
      </button>
      {send.isError && <ErrorNotice error={send.error} />}
    </form>
  );
}
