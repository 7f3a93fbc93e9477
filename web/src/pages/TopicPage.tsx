import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { api } from "../api/client";
import { isNotFound, unwrap } from "../api/problem";
import { pollWhile } from "../api/polling";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";
import { SafeMarkdown } from "../components/SafeMarkdown";
import { StatusBadge } from "../components/StatusBadge";
import { writtenBy } from "../components/writtenBy";
import { queryKeys } from "../api/queryKeys";

export default function TopicPage() {
  const { topicId = "" } = useParams();
  const queryClient = useQueryClient();
  const path = { params: { path: { topic_id: topicId } } };
  const topic = useQuery({
    queryKey: queryKeys.topic(topicId),
    queryFn: () => unwrap(api.GET("/v1/topics/{topic_id}", path)),
    refetchInterval: pollWhile((t) => t.status === "generating"),
  });
  const requestNotes = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/topics/{topic_id}/notes", path)),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.topic(topicId) }),
  });
  if (topic.isPending) return <Loading what="the topic" />;
  if (isNotFound(topic.error)) return <NotFound what="topic" />;
  if (topic.isError) return <ErrorNotice error={topic.error} onRetry={() => topic.refetch()} />;
  const t = topic.data;
  return (
    <article className="topic">
      <p className="breadcrumb">
        <Link to={`/courses/${t.course_id}`}>Back to the course</Link> · {t.chapter_title}
      </p>
      <h1>{t.title}</h1>
      <p className="meta">
        <StatusBadge status={t.status} />
        {t.notes_model && <span> · notes {writtenBy(t.notes_model)}</span>}
      </p>
      {t.status === "completed" && t.notes_md && <SafeMarkdown text={t.notes_md} />}
      {t.status === "generating" && (
        <p className="stage" role="status" aria-live="polite">
          Generating notes… they appear here as soon as they are written.
        </p>
      )}
      {(t.status === "pending" || t.status === "failed") && (
        <div className="notes-request">
          {t.status === "failed" && <ErrorNotice error={new Error(t.error ?? "note generation failed")} />}
          <p>{t.status === "pending" ? "Notes for this topic are queued." : ""} Want them now?</p>
          <button type="button" onClick={() => requestNotes.mutate()} disabled={requestNotes.isPending}>
            Generate notes now
          </button>
          {requestNotes.isError && <ErrorNotice error={requestNotes.error} />}
        </div>
      )}
    </article>
  );
}
