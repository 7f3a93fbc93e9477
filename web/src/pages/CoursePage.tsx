import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { pollWhile } from "../api/polling";
import { isNotFound, unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { courseName } from "../components/courseName";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";
import { ProgressBar } from "../components/ProgressBar";
import { StatusBadge } from "../components/StatusBadge";
import { WorkProgress } from "../components/WorkProgress";
import { writtenBy } from "../components/writtenBy";

type Course = Schemas["CourseDetail"];

function isBusy(course: Course): boolean {
  return (
    course.status === "generating" ||
    course.chapters.some((ch) => ch.topics.some((t) => t.status === "generating")) ||
    course.study_content.some((c) => c.status === "generating")
  );
}

export function coursePath(courseId: string) {
  return { params: { path: { course_id: courseId } } };
}

/** The ETag'd course read: while the event stream is up it pushes changes and polling is only a
 *  safety net; a poll that finds nothing new costs a 304. */
export function courseQuery(courseId: string) {
  return {
    queryKey: queryKeys.course(courseId),
    queryFn: () => unwrap(api.GET("/v1/courses/{course_id}", coursePath(courseId))),
    refetchInterval: pollWhile(isBusy),
  };
}

export function CoursePage() {
  const { courseId = "" } = useParams();
  const course = useQuery(courseQuery(courseId));
  if (course.isPending) return <Loading what="the course" />;
  if (isNotFound(course.error)) return <NotFound what="course" />;
  if (course.isError) return <ErrorNotice error={course.error} onRetry={() => course.refetch()} />;
  const c = course.data;
  const withNotes = c.topics_completed;
  return (
    <article className="course">
      <h1>{courseName(c)}</h1>
      <p className="meta">
        {c.course_type.replace("_", " ")} · {c.difficulty} · <StatusBadge status={c.status} />
        {c.outline_model && <span> · outline {writtenBy(c.outline_model)}</span>}
      </p>
      {(c.sources ?? []).length > 0 && (
        <p className="meta">Built from your material: {(c.sources ?? []).map((s) => s.name).join(", ")}</p>
      )}
      {c.status === "generating" && <WorkProgress kind="course" since={c.created_at} doing="Writing the outline" />}
      {c.status === "failed" && <ErrorNotice error={new Error(c.error ?? "generation failed")} />}
      {c.status === "ready" && (
        <>
          <ProgressBar value={c.topics_total ? (100 * (c.topics_read ?? 0)) / c.topics_total : 0} label="Your progress" />
          <p className="meta">
            You have read {c.topics_read ?? 0} of {c.topics_total} topics
            {withNotes < c.topics_total && ` · notes written for ${withNotes}; the others are written when you open them`}
          </p>
          <StudyMaterials course={c} />
        </>
      )}
      {c.chapters.map((chapter) => (
        <section key={chapter.index} className="chapter" aria-labelledby={`chapter-${chapter.index}`}>
          <h2 id={`chapter-${chapter.index}`}>
            {chapter.index + 1}. {chapter.title}
          </h2>
          <ol className="topic-list">
            {chapter.topics.map((topic) => (
              <li key={topic.id}>
                <Link to={`/topics/${topic.id}`}>{topic.title}</Link> <TopicBadge topic={topic} />
                {topic.summary && <p className="summary">{topic.summary}</p>}
              </li>
            ))}
          </ol>
        </section>
      ))}
    </article>
  );
}

/** What the learner needs to know about a topic: read, notes being written, or not started. */
function TopicBadge({ topic }: { topic: Schemas["TopicSummary"] }) {
  if (topic.read) return <span className="badge badge-completed">Read</span>;
  if (topic.status === "pending") return <span className="badge">Not started</span>;
  if (topic.status === "completed") return <span className="badge badge-completed">Notes ready</span>;
  return <StatusBadge status={topic.status} />;
}

const MATERIALS = [
  { type: "flashcards", make: "Make flashcards", open: "Study flashcards", path: "/flashcards/", doing: "Writing your flashcards" },
  { type: "quiz", make: "Make a quiz", open: "Take the quiz", path: "/quizzes/", doing: "Writing your quiz" },
] as const;

function StudyMaterials({ course }: { course: Course }) {
  const queryClient = useQueryClient();
  const request = useMutation({
    mutationFn: (type: string) =>
      unwrap(api.POST("/v1/courses/{course_id}/study-content", { ...coursePath(course.id), body: { type } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.course(course.id) }),
  });
  return (
    <section className="materials" aria-label="Study materials">
      {MATERIALS.map((m) => {
        const existing = course.study_content.find((c) => c.type === m.type);
        if (existing?.status === "completed") {
          return (
            <Link key={m.type} className="button" to={`${m.path}${existing.id}`}>
              {m.open}
            </Link>
          );
        }
        if (existing?.status === "generating") {
          return <WorkProgress key={m.type} kind={m.type} since={existing.updated_at} doing={m.doing} />;
        }
        return (
          <button key={m.type} type="button" disabled={request.isPending} onClick={() => request.mutate(m.type)}>
            {existing?.status === "failed" ? `${m.make} (try again)` : m.make}
          </button>
        );
      })}
      <Link className="button secondary" to={`/chat?course=${course.id}`}>
        Ask about this course
      </Link>
      {request.isError && <ErrorNotice error={request.error} />}
    </section>
  );
}
