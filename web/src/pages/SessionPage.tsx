import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { isNotFound, unwrap } from "../api/problem";
import { pollWhile } from "../api/polling";
import { queryKeys } from "../api/queryKeys";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { useWorkspace } from "../api/workspace";
import { NotFound } from "../components/NotFound";
import { StatusBadge } from "../components/StatusBadge";

const SHOWED: Record<string, string> = {
  understood: "Understood",
  partial: "Partly there",
  misconception: "Misconception",
};

function utteranceAnchor(index: number): string {
  return `utterance-${index}`;
}

function List({ title, items }: { title: string; items: string[] }) {
  if (items.length === 0) return null;
  return (
    <section>
      <h2>{title}</h2>
      <ul>
        {items.map((item, i) => (
          <li key={i}>{item}</li>
        ))}
      </ul>
    </section>
  );
}

function Evidence({ evidence }: { evidence: Schemas["EvidenceView"] }) {
  return (
    <li>
      <blockquote>
        <a href={`#${utteranceAnchor(evidence.utterance_index)}`}>“{evidence.quote}”</a>
      </blockquote>
      <span className="meta">
        {evidence.speaker}
        {evidence.time ? ` at ${evidence.time}` : ""}
      </span>
    </li>
  );
}

/** One session: its analysis (every concept with the quotes it rests on, each linking to its
 * place in the transcript below), and the transcript. */
export function SessionPage() {
  const { sessionId = "" } = useParams();
  const { role } = useWorkspace();
  const session = useQuery({
    queryKey: queryKeys.session(sessionId),
    queryFn: () => unwrap(api.GET("/v1/sessions/{session_id}", { params: { path: { session_id: sessionId } } })),
    refetchInterval: pollWhile((s: Schemas["SessionView"]) => s.status === "processing"),
  });
  if (session.isPending) return <Loading what="the session" />;
  if (isNotFound(session.error)) return <NotFound what="session" />;
  if (session.isError) return <ErrorNotice error={session.error} onRetry={() => session.refetch()} />;
  const s = session.data;
  const canCorrect = role === "tutor" || role === "admin";
  const analysis = s.analysis;
  return (
    <article className="tutoring-session">
      <p className="breadcrumb">
        <Link to={role === "learner" || role === null ? "/sessions" : `/sessions?learner_id=${s.learner_id}`}>
          All sessions
        </Link>
      </p>
      <h1>
        {s.subject} <StatusBadge status={s.status} />
      </h1>
      <p className="meta">
        {s.session_date}
        {s.duration_minutes ? ` · ${s.duration_minutes} min` : ""}
        {s.learner_name ? ` · ${s.learner_name}` : ""}
        {s.versions.length > 1 ? ` · analysis version ${s.analysis_version}` : ""}
      </p>
      {s.status === "processing" && (
        <p className="stage" role="status" aria-live="polite">
          Analysing the session{s.stage ? `: ${s.stage}` : ""}…
        </p>
      )}
      {s.status === "failed" && <ErrorNotice error={new Error(s.error ?? "the session could not be analysed")} />}
      {analysis && analysis.status === "failed" && analysis.error && (
        <ErrorNotice error={new Error(analysis.error)} />
      )}
      {analysis && analysis.status === "ready" && (
        <>
          <List title="Topics" items={analysis.topics} />
          <section aria-labelledby="concepts-heading">
            <h2 id="concepts-heading">What the session showed</h2>
            {analysis.concepts.length === 0 && <p className="empty">No concept had evidence in the transcript.</p>}
            {analysis.concepts.map((concept, i) => (
              <section key={i} className={`concept concept-${concept.learner_showed}`} aria-labelledby={`concept-${i}`}>
                <h3 id={`concept-${i}`}>
                  {concept.name} <span className="badge">{SHOWED[concept.learner_showed] ?? concept.learner_showed}</span>
                </h3>
                <p className="meta">
                  Difficulty {concept.difficulty}/10
                  {concept.topic_id && (
                    <>
                      {" · "}
                      <Link to={`/topics/${concept.topic_id}`}>the topic</Link>
                    </>
                  )}
                </p>
                <ul className="evidence">
                  {concept.evidence.map((e, j) => (
                    <Evidence key={j} evidence={e} />
                  ))}
                </ul>
              </section>
            ))}
            {analysis.quotes_dropped > 0 && (
              <p className="meta">
                {analysis.quotes_dropped} proposed quote{analysis.quotes_dropped === 1 ? " was" : "s were"} not found in
                the transcript and left out
                {analysis.concepts_dropped > 0 ? `, with ${analysis.concepts_dropped} concept(s) they alone supported` : ""}.
              </p>
            )}
          </section>
          <List title="Strengths" items={analysis.strengths} />
          <List title="To work on" items={analysis.areas_for_improvement} />
          <List title="Action items" items={analysis.action_items} />
          {analysis.practice_course_id && (
            <p>
              Practice from this session:{" "}
              <Link to={`/courses/${analysis.practice_course_id}`}>open the practice course</Link>
              {analysis.practice_status ? ` (${analysis.practice_status})` : ""}
            </p>
          )}
          {analysis.practice_error && <p className="meta">{analysis.practice_error}</p>}
          <p className="meta">
            Read by {analysis.engine === "extractive" ? "the transcript reader (no model)" : (analysis.model ?? "the model")}
            {analysis.roles_from ? `; tutor and learner told apart by ${analysis.roles_from === "given" ? "your correction" : analysis.roles_from}` : ""}.
          </p>
        </>
      )}
      {canCorrect && s.status !== "processing" && Object.keys(s.speakers).length > 0 && (
        <SpeakerRoles key={`${s.id}-${s.analysis_version}`} session={s} />
      )}
      {s.transcript.length > 0 && (
        <section aria-labelledby="transcript-heading" className="transcript">
          <h2 id="transcript-heading">Transcript</h2>
          <ol>
            {s.transcript.map((u) => (
              <li key={u.index} id={utteranceAnchor(u.index)} className={`utterance utterance-${u.role}`}>
                {u.time && <span className="meta">{u.time} </span>}
                <strong>{u.speaker}</strong>
                {u.role !== "other" ? <span className="meta"> ({u.role})</span> : null}: {u.text}
              </li>
            ))}
          </ol>
        </section>
      )}
    </article>
  );
}

const ROLES = ["tutor", "learner", "other"] as const;
type SpeakerRole = (typeof ROLES)[number];

/** Who spoke as tutor and who as learner: a correction is analysed again as a new version. */
function SpeakerRoles({ session }: { session: Schemas["SessionView"] }) {
  const queryClient = useQueryClient();
  const [roles, setRoles] = useState<Record<string, SpeakerRole>>(() => ({ ...session.speakers }));
  const correct = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/v1/sessions/{session_id}", {
          params: { path: { session_id: session.id } },
          body: { speaker_mapping: roles },
        }),
      ),
    onSuccess: (updated) => {
      queryClient.setQueryData(queryKeys.session(session.id), updated);
      void queryClient.invalidateQueries({ queryKey: ["sessions"] });
    },
  });
  const changed = Object.entries(roles).some(([name, role]) => session.speakers[name] !== role);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    correct.mutate();
  };
  return (
    <section aria-labelledby="speakers-heading">
      <h2 id="speakers-heading">Speakers</h2>
      <form onSubmit={submit} className="inline-form">
        {Object.keys(roles).map((name, i) => (
          <span key={name}>
            <label htmlFor={`speaker-${i}`}>{name}</label>{" "}
            <select
              id={`speaker-${i}`}
              value={roles[name]}
              onChange={(e) => setRoles((r) => ({ ...r, [name]: e.target.value as SpeakerRole }))}
            >
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </select>
          </span>
        ))}
        <button type="submit" disabled={!changed || correct.isPending}>
          {correct.isPending ? "Saving…" : "Correct the roles and analyse again"}
        </button>
      </form>
      {correct.isError && <ErrorNotice error={correct.error} />}
    </section>
  );
}
