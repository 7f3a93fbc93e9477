import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link, useParams } from "react-router-dom";
import { api } from "../api/client";
import { pollWhile } from "../api/polling";
import { isNotFound, unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";
import { SafeMarkdown } from "../components/SafeMarkdown";
import { StatusBadge } from "../components/StatusBadge";
import { WorkProgress } from "../components/WorkProgress";
import { writtenBy } from "../components/writtenBy";
import { useStudyTimer } from "../hooks/useStudyTimer";

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
  // Opening a topic whose notes are not written yet starts them (interactive, ahead of any
  // background backlog): the learner never has to ask. A failed topic waits for the button.
  const started = useRef<string | null>(null);
  const status = topic.data?.status;
  useEffect(() => {
    if (status === "pending" && started.current !== topicId) {
      started.current = topicId;
      requestNotes.mutate();
    }
  }, [status, topicId, requestNotes]);
  const t = topic.data;
  useStudyTimer("notes", { topicId, courseId: t?.course_id, enabled: t?.status === "completed" });

  if (topic.isPending) return <Loading what="the topic" />;
  if (isNotFound(topic.error)) return <NotFound what="topic" />;
  if (topic.isError || !t) return <ErrorNotice error={topic.error} onRetry={() => topic.refetch()} />;
  return (
    <article className="topic">
      <p className="breadcrumb">
        <Link to={`/courses/${t.course_id}`}>Back to the course</Link> · {t.chapter_title}
      </p>
      <h1>{t.title}</h1>
      <p className="meta">
        <StatusBadge status={t.status} />
        {t.read && <span> · read</span>}
        {t.notes_model && <span> · notes {writtenBy(t.notes_model)}</span>}
      </p>
      {t.status === "completed" && t.notes_md && <SafeMarkdown text={t.notes_md} />}
      {(t.status === "generating" || (t.status === "pending" && !requestNotes.isError)) && (
        <WorkProgress kind="notes" since={t.status === "generating" ? t.updated_at : null} doing="Writing the notes for this topic" />
      )}
      {(t.status === "failed" || requestNotes.isError) && (
        <div className="notes-request">
          {t.status === "failed" && <ErrorNotice error={new Error(t.error ?? "note generation failed")} />}
          {requestNotes.isError && <ErrorNotice error={requestNotes.error} />}
          <button type="button" onClick={() => requestNotes.mutate()} disabled={requestNotes.isPending}>
            Write the notes again
          </button>
        </div>
      )}
    </article>
  );
}
