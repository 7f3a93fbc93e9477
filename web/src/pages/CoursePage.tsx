import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { isNotFound, unwrap } from "../api/problem";
import { pollWhile } from "../api/polling";
import { courseName } from "../components/courseName";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";
import { ProgressBar } from "../components/ProgressBar";
import { StatusBadge } from "../components/StatusBadge";
import { writtenBy } from "../components/writtenBy";
import { queryKeys } from "../api/queryKeys";

type Course = Schemas["CourseDetail"];

const STAGES: Record<string, string> = {
  starting: "Starting",
  outline: "Writing the outline",
  saving: "Saving the outline",
  indexing: "Indexing for search",
  ready: "Ready",
};

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

export function CoursePage() {
  const { courseId = "" } = useParams();
  const course = useQuery({
    queryKey: queryKeys.course(courseId),
    queryFn: () => unwrap(api.GET("/v1/courses/{course_id}/progress", coursePath(courseId))),
    refetchInterval: pollWhile(isBusy),
  });
  if (course.isPending) return <Loading what="the course" />;
  if (isNotFound(course.error)) return <NotFound what="course" />;
  if (course.isError) return <ErrorNotice error={course.error} onRetry={() => course.refetch()} />;
  const c = course.data;
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
      {c.status === "generating" && (
        <p className="stage" role="status" aria-live="polite">
          {STAGES[c.generation_stage ?? ""] ?? "Starting"}…
        </p>
      )}
      {c.status === "failed" && <ErrorNotice error={new Error(c.error ?? "generation failed")} />}
      <ProgressBar value={c.progress_pct} label="Course progress" />
      <p className="meta">
        {c.topics_completed} of {c.topics_total} topics have notes
      </p>
      {c.status === "ready" && <StudyMaterials course={c} />}
      {c.chapters.map((chapter) => (
        <section key={chapter.index} className="chapter" aria-labelledby={`chapter-${chapter.index}`}>
          <h2 id={`chapter-${chapter.index}`}>
            {chapter.index + 1}. {chapter.title}
          </h2>
          <ol className="topic-list">
            {chapter.topics.map((topic) => (
              <li key={topic.id}>
                <Link to={`/topics/${topic.id}`}>{topic.title}</Link> <StatusBadge status={topic.status} />
                {topic.summary && <p className="summary">{topic.summary}</p>}
              </li>
            ))}
          </ol>
        </section>
      ))}
    </article>
  );
}

const MATERIALS = [
  { type: "flashcards", make: "Make flashcards", open: "Study flashcards", path: "/flashcards/" },
  { type: "quiz", make: "Make a quiz", open: "Take the quiz", path: "/quizzes/" },
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
          return (
            <span key={m.type} className="button disabled" role="status">
              {m.type === "quiz" ? "Quiz" : "Flashcards"}: generating…
            </span>
          );
        }
        return (
          <button key={m.type} type="button" disabled={request.isPending} onClick={() => request.mutate(m.type)}>
            {existing?.status === "failed" ? `${m.make} (try again)` : m.make}
          </button>
        );
      })}
      {request.isError && <ErrorNotice error={request.error} />}
    </section>
  );
}
