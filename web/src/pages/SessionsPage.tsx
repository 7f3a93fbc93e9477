import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { ApiProblem, unwrap } from "../api/problem";
import { pollWhile } from "../api/polling";
import { queryKeys } from "../api/queryKeys";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { StatusBadge } from "../components/StatusBadge";
import { useWorkspace } from "../api/workspace";

const ACCEPTED = ".vtt,.srt,.txt,.json";

function when(session: Schemas["SessionSummary"]): string {
  const day = new Date(`${session.session_date}T00:00:00`).toLocaleDateString(undefined, { dateStyle: "medium" });
  return session.duration_minutes ? `${day} · ${session.duration_minutes} min` : day;
}

/** A learner's tutoring sessions (their own, or — `?learner_id=` — a linked learner's, for a tutor). */
export function SessionsPage() {
  const [params] = useSearchParams();
  const learnerId = params.get("learner_id");
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [file, setFile] = useState<File | null>(null);
  const [subject, setSubject] = useState("");
  const [day, setDay] = useState("");
  const { role } = useWorkspace();
  // Only learners upload their own; a tutor picks the learner the session was with.
  const canUpload = learnerId !== null || role === null || role === "learner";
  const upload = useMutation({
    mutationFn: (picked: File) => {
      const form = new FormData();
      form.append("file", picked);
      form.append("subject", subject.trim());
      if (day) form.append("session_date", day);
      if (learnerId) form.append("learner_id", learnerId);
      return unwrap(api.POST("/v1/sessions", { body: form as never, bodySerializer: (body) => body as unknown as FormData }));
    },
    onSuccess: (accepted) => {
      void queryClient.invalidateQueries({ queryKey: ["sessions"] });
      navigate(`/sessions/${accepted.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file && subject.trim()) upload.mutate(file);
  };
  const sessions = useQuery({
    queryKey: queryKeys.sessions(learnerId),
    queryFn: () =>
      unwrap(api.GET("/v1/sessions", { params: { query: learnerId ? { learner_id: learnerId } : {} } })),
    refetchInterval: pollWhile((list: Schemas["SessionList"]) => list.sessions.some((s) => s.status === "processing")),
  });
  return (
    <section className="sessions">
      <h1>Tutoring sessions{learnerId && sessions.data?.sessions[0] ? ` with ${sessions.data.sessions[0].learner_name}` : ""}</h1>
      <p className="meta">
        Each session's transcript is read for what was covered and what you showed you understand; every point
        quotes the moment it comes from, and the practice it assigns is in your assignments.
      </p>
      {!canUpload && (
        <p className="meta">
          To upload a session, open the learner it was with from <Link to="/learners">My learners</Link>.
        </p>
      )}
      {canUpload && (
      <form onSubmit={submit} className="inline-form">
        <label htmlFor="session-file">Upload a session's transcript (.vtt, .srt, .txt or a note-taker's .json)</label>
        <input id="session-file" type="file" accept={ACCEPTED} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <label htmlFor="session-subject">Subject</label>
        <input id="session-subject" value={subject} maxLength={200} onChange={(e) => setSubject(e.target.value)} />
        <label htmlFor="session-date">Date</label>
        <input id="session-date" type="date" value={day} onChange={(e) => setDay(e.target.value)} />
        <button type="submit" disabled={!file || !subject.trim() || upload.isPending}>
          {upload.isPending ? "Uploading…" : "Upload"}
        </button>
      </form>
      )}
      {upload.error instanceof ApiProblem && <ErrorNotice error={upload.error} />}
      {sessions.isPending ? (
        <Loading what="the sessions" />
      ) : sessions.isError ? (
        <ErrorNotice error={sessions.error} onRetry={() => sessions.refetch()} />
      ) : sessions.data.sessions.length === 0 ? (
        <p className="empty">No sessions yet.</p>
      ) : (
        <ul className="session-list">
          {sessions.data.sessions.map((session) => (
            <li key={session.id} className="session">
              <Link to={`/sessions/${session.id}`}>{session.subject}</Link> <StatusBadge status={session.status} />
              <span className="meta">
                {" "}
                {when(session)}
                {learnerId ? "" : ` · ${session.learner_name}`}
                {session.status === "processing" && session.stage ? ` · ${session.stage}` : ""}
              </span>
              {session.status === "failed" && session.error && <p className="source-error">{session.error}</p>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
