import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { isNotFound, unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";
import { WorkProgress } from "../components/WorkProgress";
import { studyContentQuery } from "./FlashcardsPage";
import { dueText } from "./AssignmentsPage";

type Opened = Schemas["AssignmentOpened"];

const FAN_OUT_POLLS = 10;

const START: Record<string, string> = {
  quiz: "Take the quiz",
  practice_set: "Start the practice",
  flashcards: "Study the flashcards",
  course: "Open the course",
};

/** Where work made on opening is studied: its quiz or cards (made now if nobody opened it yet), or the course. */
function studyPath(opened: Opened): string {
  if (opened.kind === "course" || !opened.study_content_id) return `/courses/${opened.course_id}`;
  return `${opened.kind === "flashcards" ? "/flashcards/" : "/quizzes/"}${opened.study_content_id}`;
}

function percent(value: number | null | undefined): string {
  return value == null ? "—" : `${Math.round(value)}%`;
}

/** One assignment: the learner's own with a way to start it; for its giver (and admins) every
 *  learner's status and score. */
export function AssignmentPage() {
  const { assignmentId = "" } = useParams();
  const navigate = useNavigate();
  const assignment = useQuery({
    queryKey: queryKeys.assignment(assignmentId),
    queryFn: () =>
      unwrap(api.GET("/v1/assignments/{assignment_id}", { params: { path: { assignment_id: assignmentId } } })),
    // A group's assignment reaches its learners in a workflow moments after it is given, and no
    // event tells its giver: poll, backing off, while nobody has it (an empty group stops after ~2 min).
    refetchInterval: (query) =>
      query.state.data?.targets?.length === 0 && query.state.dataUpdateCount < FAN_OUT_POLLS
        ? 1000 * 1.5 ** query.state.dataUpdateCount
        : false,
  });
  const open = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/v1/assignments/{assignment_id}/open", { params: { path: { assignment_id: assignmentId } } })),
  });
  const opened = open.data;
  const making = opened?.study_content_id && opened.status === "generating" ? opened.study_content_id : null;
  // The event stream tells a course's owner (here the giver) when its quiz is made, not the
  // learner who opened it: wait here polling, backing off, rather than on the stream's safety net.
  const content = useQuery({
    ...studyContentQuery(making ?? ""),
    enabled: making !== null,
    refetchInterval: (query) =>
      query.state.data?.status === "generating" || !query.state.data
        ? Math.min(15_000, 1000 * 1.5 ** query.state.dataUpdateCount)
        : false,
  });
  const ready = opened && (!making || (content.data && content.data.status !== "generating"));
  useEffect(() => {
    if (opened && ready) navigate(studyPath(opened));
  }, [opened, ready, navigate]);
  if (assignment.isPending) return <Loading what="the assignment" />;
  if (isNotFound(assignment.error)) return <NotFound what="assignment" />;
  if (assignment.isError) return <ErrorNotice error={assignment.error} onRetry={() => assignment.refetch()} />;
  const a = assignment.data;
  if (making && !ready) {
    return <WorkProgress kind={a.kind === "flashcards" ? "flashcards" : "quiz"} since={content.data?.updated_at} doing={`Writing ${a.title}`} />;
  }
  return (
    <article className="assignment">
      <p className="breadcrumb">
        <Link to="/assignments">All assignments</Link>
      </p>
      <h1>{a.title}</h1>
      <p className="meta">
        {dueText(a)} · given {new Date(a.created_at).toLocaleDateString()}
      </p>
      {a.note && <p className="notice">{a.note}</p>}
      {a.my_status && (
        <>
          <p>
            {a.my_status === "completed" ? `Done: you scored ${percent(a.my_score_pct)}.` : "Not done yet."}
          </p>
          <button type="button" onClick={() => open.mutate()} disabled={open.isPending}>
            {a.my_status === "completed" ? "Open it again" : START[a.kind]}
          </button>
          {open.isError && <ErrorNotice error={open.error} />}
        </>
      )}
      {a.targets && <Targets targets={a.targets} />}
    </article>
  );
}

function Targets({ targets }: { targets: Schemas["AssignmentTargetView"][] }) {
  const done = targets.filter((t) => t.status === "completed").length;
  return (
    <section aria-labelledby="targets-heading">
      <h2 id="targets-heading">
        Learners ({done} of {targets.length} done)
      </h2>
      {targets.length === 0 ? (
        <p className="empty">Nobody yet: a group's learners get it within moments.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Learner</th>
              <th scope="col">Status</th>
              <th scope="col">Score</th>
            </tr>
          </thead>
          <tbody>
            {targets.map((t) => (
              <tr key={t.learner_id}>
                <td>
                  <Link to={`/learners/${t.learner_id}`}>{t.learner_name}</Link>
                </td>
                <td>{t.status === "completed" ? "done" : t.overdue ? "overdue" : "open"}</td>
                <td>{percent(t.score_pct)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
