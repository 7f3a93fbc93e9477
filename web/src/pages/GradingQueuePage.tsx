import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type ReactElement, useEffect, useState } from "react";
import { api, type Schemas } from "../api/client";
import { unwrap } from "../api/problem";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { useKeys } from "../hooks/useKeys";

type Task = Schemas["ReviewTask"];
type Score = 0 | 0.5 | 1;
const SCORES: [Score, string][] = [
  [0, "0"],
  [0.5, "½"],
  [1, "1"],
];

export const reviewQueueQuery = {
  queryKey: ["grading-reviews"],
  queryFn: () => unwrap(api.GET("/v1/grading-reviews")),
};

/** The reviewer's queue of free-text answers the grader was unsure of. Keyboard: j/k move between
 * answers, ↑/↓ between rubric points, 0 / h (½) / 1 mark the selected point, Enter submits. */
export function GradingQueuePage() {
  const queryClient = useQueryClient();
  const queue = useQuery(reviewQueueQuery);
  const [position, setPosition] = useState(0);
  const tasks = queue.data?.tasks ?? [];
  const task = tasks[Math.min(position, Math.max(tasks.length - 1, 0))];

  if (queue.isPending) return <Loading what="answers to grade" />;
  if (queue.isError) return <ErrorNotice error={queue.error} onRetry={() => queue.refetch()} />;
  return (
    <section className="grading-queue">
      <h1>Answers to grade</h1>
      <p className="meta">
        Keyboard: <kbd>j</kbd>/<kbd>k</kbd> next/previous answer, <kbd>↑</kbd>/<kbd>↓</kbd> rubric point,{" "}
        <kbd>0</kbd> <kbd>h</kbd> (½) <kbd>1</kbd> mark it, <kbd>Enter</kbd> submit.
      </p>
      {tasks.length === 0 ? (
        <p role="status">Nothing to grade: every answer is graded.</p>
      ) : (
        <>
          <p role="status">
            Answer {tasks.indexOf(task) + 1} of {tasks.length}
          </p>
          <TaskGrader
            key={task.id}
            task={task}
            onMove={(step) => setPosition((p) => Math.min(Math.max(p + step, 0), tasks.length - 1))}
            onDone={() => void queryClient.invalidateQueries({ queryKey: reviewQueueQuery.queryKey })}
          />
        </>
      )}
    </section>
  );
}

function TaskGrader(props: { task: Task; onMove: (step: number) => void; onDone: () => void }) {
  const { task, onMove, onDone } = props;
  const proposed = Object.fromEntries(task.proposal.points.map((p) => [p.point_id, p]));
  const [scores, setScores] = useState<Record<string, Score>>(() =>
    Object.fromEntries(task.rubric.map((p) => [p.id, (proposed[p.id]?.score ?? 0) as Score])),
  );
  const [selected, setSelected] = useState(0);
  const submit = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/grading-reviews/{review_id}/grade", {
          params: { path: { review_id: task.id } },
          body: { scores },
        }),
      ),
    onSuccess: onDone,
  });
  const mark = (score: Score) => {
    const point = task.rubric[selected];
    setScores((s) => ({ ...s, [point.id]: score }));
    setSelected((i) => Math.min(i + 1, task.rubric.length - 1));
  };
  useKeys({
    j: () => onMove(1),
    k: () => onMove(-1),
    ArrowDown: () => setSelected((i) => Math.min(i + 1, task.rubric.length - 1)),
    ArrowUp: () => setSelected((i) => Math.max(i - 1, 0)),
    "0": () => mark(0),
    h: () => mark(0.5),
    "5": () => mark(0.5),
    "1": () => mark(1),
    Enter: () => {
      if (!submit.isPending) submit.mutate();
    },
  });
  useEffect(() => setSelected(0), [task.id]);
  const quotes = task.proposal.points.filter((p) => p.quote && p.score > 0).map((p) => p.quote);
  return (
    <article className="grading-task" aria-labelledby={`task-${task.id}`}>
      <h2 id={`task-${task.id}`}>{task.question}</h2>
      <p className="meta">
        {task.learner && <>From {task.learner}. </>}
        Proposed by the {task.proposal.grader === "llm" ? "LLM" : "embedded"} grader:{" "}
        {Math.round(task.proposal.total * 100)}% (confidence {Math.round(task.proposal.confidence * 100)}%)
        {task.due_at && <>; after {new Date(task.due_at).toLocaleString()} the proposal stands</>}.
      </p>
      <h3>The answer</h3>
      <blockquote className="learner-answer">
        <Highlighted text={task.answer} quotes={quotes} />
      </blockquote>
      <h3>Rubric</h3>
      <ol className="rubric-grading">
        {task.rubric.map((point, index) => {
          const proposal = proposed[point.id];
          return (
            <li key={point.id} className={index === selected ? "selected" : undefined} aria-current={index === selected}>
              <p>
                <strong>{point.text}</strong> <span className="meta">(weight {point.weight})</span>
              </p>
              {proposal && (
                <p className="meta">
                  Proposed {proposal.score} ({Math.round(proposal.confidence * 100)}%)
                  {proposal.quote && (
                    <>
                      {" "}
                      from <q>{proposal.quote}</q>
                    </>
                  )}
                  {proposal.rejected && <> — the model's grade was set aside: {proposal.rejected}</>}
                </p>
              )}
              <div role="group" aria-label={`Mark for: ${point.text}`} className="score-buttons">
                {SCORES.map(([value, label]) => (
                  <button
                    key={label}
                    type="button"
                    aria-pressed={scores[point.id] === value}
                    onClick={() => {
                      setSelected(index);
                      setScores((s) => ({ ...s, [point.id]: value }));
                    }}
                  >
                    {label}
                  </button>
                ))}
              </div>
            </li>
          );
        })}
      </ol>
      <details>
        <summary>Model answer</summary>
        <p>{task.model_answer}</p>
      </details>
      {submit.isError && <ErrorNotice error={submit.error} />}
      <button type="button" className="primary" onClick={() => submit.mutate()} disabled={submit.isPending}>
        {submit.isPending ? "Submitting…" : "Submit grade"}
      </button>
    </article>
  );
}

/** The answer with the sentences the grader matched to a rubric point marked. */
function Highlighted({ text, quotes }: { text: string; quotes: string[] }) {
  const spans: [number, number][] = [];
  for (const quote of quotes) {
    const at = text.toLowerCase().indexOf(quote.toLowerCase());
    if (at >= 0) spans.push([at, at + quote.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const parts: ReactElement[] = [];
  let cursor = 0;
  for (const [start, end] of spans) {
    if (start < cursor) continue;
    if (start > cursor) parts.push(<span key={`t${cursor}`}>{text.slice(cursor, start)}</span>);
    parts.push(<mark key={`m${start}`}>{text.slice(start, end)}</mark>);
    cursor = end;
  }
  parts.push(<span key={`t${cursor}`}>{text.slice(cursor)}</span>);
  return <>{parts}</>;
}
