import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { ApiProblem, unwrap } from "../api/problem";
import { courseName } from "../components/courseName";
import { ErrorNotice } from "../components/ErrorNotice";
import { FieldMessage } from "../components/FieldError";
import { Loading } from "../components/Loading";
import { ProgressBar } from "../components/ProgressBar";
import { queryKeys } from "../api/queryKeys";

type Kind = "course_by_date" | "mastery" | "daily_minutes" | "daily_reviews";
const KINDS: [Kind, string][] = [
  ["course_by_date", "Finish a course by a date"],
  ["mastery", "Reach a mastery level in a course"],
  ["daily_minutes", "Study minutes a day"],
  ["daily_reviews", "Flashcard reviews a day"],
];
const STATE_LABELS = { on_track: "On track", behind: "Behind", met: "Met" } as const;

export function GoalsPage() {
  const goals = useQuery({ queryKey: queryKeys.goals(), queryFn: () => unwrap(api.GET("/v1/goals")) });
  const suggestions = useQuery({
    queryKey: queryKeys.suggestions(),
    queryFn: () => unwrap(api.GET("/v1/suggestions", { params: { query: { status: "all" } } })),
    // A goal met in the last minutes has its suggestions on the way: look again until they are here.
    refetchInterval: (query) => {
      const suggested = new Set((query.state.data?.suggestions ?? []).map((s) => s.goal_id));
      const recent = Date.now() - 5 * 60_000;
      const waiting = (goals.data?.goals ?? []).some(
        (g) => g.status === "met" && g.met_at && Date.parse(g.met_at) > recent && !suggested.has(g.id),
      );
      return waiting ? 2000 : false;
    },
  });
  if (goals.isPending) return <Loading what="your goals" />;
  if (goals.isError) return <ErrorNotice error={goals.error} onRetry={() => goals.refetch()} />;
  return (
    <section className="goals">
      <h1>Goals</h1>
      {goals.data.goals.length === 0 ? (
        <p className="empty">No goals yet: set one below and see your pace.</p>
      ) : (
        <ul className="goal-list">
          {goals.data.goals.map((goal) => (
            <GoalItem key={goal.id} goal={goal} />
          ))}
        </ul>
      )}
      <SuggestionList suggestions={(suggestions.data?.suggestions ?? []).filter((s) => s.status === "open")} />
      <NewGoalForm />
    </section>
  );
}

function GoalItem({ goal }: { goal: Schemas["GoalView"] }) {
  const queryClient = useQueryClient();
  const complete = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/goals/{goal_id}/complete", { params: { path: { goal_id: goal.id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.goals() }),
  });
  const { state, pace, percent } = goal.progress;
  return (
    <li className={`goal goal-${state}`}>
      <p>
        <strong>{goal.description[0].toUpperCase() + goal.description.slice(1)}</strong>{" "}
        <span className={`badge state-${state}`}>{STATE_LABELS[state]}</span>
      </p>
      <ProgressBar value={percent} label={`Progress on: ${goal.description}`} />
      <p className="meta pace">{pace}</p>
      {goal.course_id && <Link to={`/courses/${goal.course_id}`}>Open the course</Link>}{" "}
      {goal.status === "active" && (
        <button type="button" className="secondary" onClick={() => complete.mutate()} disabled={complete.isPending}>
          I have met this goal
        </button>
      )}
      {complete.isError && <ErrorNotice error={complete.error} />}
    </li>
  );
}

function SuggestionList({ suggestions }: { suggestions: Schemas["SuggestionView"][] }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: queryKeys.suggestions() });
    void queryClient.invalidateQueries({ queryKey: queryKeys.goals() });
  };
  const accept = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/v1/suggestions/{suggestion_id}/accept", { params: { path: { suggestion_id: id } }, body: { course_type: "practical", difficulty: "beginner", days: 14 } })),
    onSuccess: (accepted) => {
      refresh();
      navigate(`/courses/${accepted.course.course_id}`);
    },
  });
  const dismiss = useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/v1/suggestions/{suggestion_id}/dismiss", { params: { path: { suggestion_id: id } } })),
    onSuccess: refresh,
  });
  if (suggestions.length === 0) return null;
  return (
    <section aria-labelledby="next-heading">
      <h2 id="next-heading">What to study next</h2>
      <ul className="suggestions">
        {suggestions.map((s) => (
          <li key={s.id}>
            <strong>{s.topic}</strong>
            <p className="meta">{s.reason}</p>
            <button type="button" onClick={() => accept.mutate(s.id)} disabled={accept.isPending}>
              Start this course
            </button>{" "}
            <button type="button" className="secondary" onClick={() => dismiss.mutate(s.id)} disabled={dismiss.isPending}>
              Not now
            </button>
          </li>
        ))}
      </ul>
      {accept.isError && <ErrorNotice error={accept.error} />}
    </section>
  );
}

function NewGoalForm() {
  const queryClient = useQueryClient();
  const courses = useQuery({ queryKey: queryKeys.courses(), queryFn: () => unwrap(api.GET("/v1/courses")) });
  const [kind, setKind] = useState<Kind>("course_by_date");
  const [courseId, setCourseId] = useState("");
  const [target, setTarget] = useState("20");
  const [days, setDays] = useState("7");
  const [dueDate, setDueDate] = useState("");
  const create = useMutation({
    mutationFn: (body: Schemas["CourseByDateGoalCreate"] | Schemas["MasteryGoalCreate"] | Schemas["DailyMinutesGoalCreate"] | Schemas["DailyReviewsGoalCreate"]) =>
      unwrap(api.POST("/v1/goals", { body })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.goals() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard() });
    },
  });
  const needsCourse = kind === "course_by_date" || kind === "mastery";
  // The obvious mistakes are said here, next to the field, before asking the API.
  const [checked, setChecked] = useState<Record<string, string>>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const course = courseId || courses.data?.items[0]?.id || "";
    const found: Record<string, string> = {};
    if (needsCourse && !course) found.course_id = "Create a course first, then set a goal for it.";
    if (kind === "course_by_date" && !dueDate) found.due_date = "Choose a date.";
    if (kind !== "course_by_date" && !(Number(target) > 0)) found.target = "Enter a number of at least 1.";
    setChecked(found);
    if (Object.keys(found).length > 0) return;
    if (kind === "course_by_date") create.mutate({ kind, course_id: course, due_date: dueDate });
    else if (kind === "mastery") create.mutate({ kind, course_id: course, target: Number(target) / 100, due_date: dueDate || null });
    else create.mutate({ kind, target: Number(target), days: Number(days) });
  };
  const problem = create.error instanceof ApiProblem ? create.error : null;
  const fieldMessage = (field: string) => checked[field] ?? (problem?.status === 422 ? problem.fieldMessage(field) : undefined);
  const invalid = (field: string) => (fieldMessage(field) ? true : undefined);
  return (
    <form onSubmit={submit} className="new-goal" aria-labelledby="new-goal-heading" noValidate>
      <h2 id="new-goal-heading">Set a goal</h2>
      <label htmlFor="goal-kind">Goal</label>
      <select id="goal-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
        {KINDS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      {needsCourse && (
        <>
          <label htmlFor="goal-course">Course</label>
          <select
            id="goal-course"
            value={courseId}
            onChange={(e) => setCourseId(e.target.value)}
            aria-invalid={invalid("course_id")}
            aria-describedby="goal-course-error"
          >
            {(courses.data?.items ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {courseName(c)}
              </option>
            ))}
          </select>
          <FieldMessage id="goal-course-error" message={fieldMessage("course_id")} />
        </>
      )}
      {kind !== "course_by_date" && (
        <>
          <label htmlFor="goal-target">{kind === "mastery" ? "Mastery (%)" : kind === "daily_minutes" ? "Minutes a day" : "Reviews a day"}</label>
          <input
            id="goal-target"
            type="number"
            min={1}
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            aria-invalid={invalid("target")}
            aria-describedby="goal-target-error"
          />
          <FieldMessage id="goal-target-error" message={fieldMessage("target")} />
        </>
      )}
      {(kind === "daily_minutes" || kind === "daily_reviews") && (
        <>
          <label htmlFor="goal-days">On how many days</label>
          <input
            id="goal-days"
            type="number"
            min={1}
            max={365}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            aria-invalid={invalid("days")}
            aria-describedby="goal-days-error"
          />
          <FieldMessage id="goal-days-error" message={fieldMessage("days")} />
        </>
      )}
      {needsCourse && (
        <>
          <label htmlFor="goal-due">{kind === "course_by_date" ? "By" : "By (optional)"}</label>
          <input
            id="goal-due"
            type="date"
            value={dueDate}
            onChange={(e) => setDueDate(e.target.value)}
            aria-invalid={invalid("due_date")}
            aria-describedby="goal-due-error"
          />
          <FieldMessage id="goal-due-error" message={fieldMessage("due_date")} />
        </>
      )}
      {problem && problem.status !== 422 && <ErrorNotice error={problem} />}
      <button type="submit" disabled={create.isPending}>
        {create.isPending ? "Saving…" : "Set goal"}
      </button>
    </form>
  );
}
