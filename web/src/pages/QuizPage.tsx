import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { isNotFound, unwrap } from "../api/problem";
import { Citations } from "../components/Citations";
import { QualityNote } from "../components/QualityNote";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";
import { studyContentQuery } from "./FlashcardsPage";
import { queryKeys } from "../api/queryKeys";

type Question = Schemas["QuizQuestionView"];

export function QuizPage() {
  const { contentId = "" } = useParams();
  const queryClient = useQueryClient();
  const quiz = useQuery(studyContentQuery(contentId));
  const [answers, setAnswers] = useState<Record<string, number>>({});
  const [onePerPage, setOnePerPage] = useState(true);
  const [position, setPosition] = useState(0);
  const startedAt = useRef(Date.now());
  // One key per sitting: a resubmit after a dropped connection returns the first result, never a second attempt.
  const idempotencyKey = useRef(crypto.randomUUID());
  const submit = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/quizzes/{quiz_id}/attempts", {
          params: { path: { quiz_id: contentId }, header: { "idempotency-key": idempotencyKey.current } },
          body: { answers, duration_seconds: Math.round((Date.now() - startedAt.current) / 1000) },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.weakAreas() });
    },
  });

  if (quiz.isPending) return <Loading what="the quiz" />;
  if (isNotFound(quiz.error) || quiz.data?.type === "flashcards") return <NotFound what="quiz" />;
  if (quiz.isError) return <ErrorNotice error={quiz.error} onRetry={() => quiz.refetch()} />;
  const q = quiz.data;
  if (q.status === "generating") return <p role="status">Writing your quiz…</p>;
  if (q.status === "failed") return <ErrorNotice error={new Error(q.error ?? "quiz generation failed")} />;
  const questions = q.questions ?? [];
  if (submit.data) return <QuizResults result={submit.data} questions={questions} courseId={q.course_id} />;

  const shown = onePerPage ? questions.slice(position, position + 1) : questions;
  const answered = Object.keys(answers).length;
  return (
    <section className="quiz">
      <p className="breadcrumb">
        <Link to={`/courses/${q.course_id}`}>Back to the course</Link>
      </p>
      <h1>Quiz</h1>
      <QualityNote report={q.quality} noun="questions" model={q.model} />
      <label className="choice">
        <input type="checkbox" checked={!onePerPage} onChange={(e) => setOnePerPage(!e.target.checked)} />
        Show all questions on one page
      </label>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit.mutate();
        }}
      >
        {shown.map((question) => (
          <QuestionField
            key={question.id}
            number={questions.indexOf(question) + 1}
            question={question}
            selected={answers[question.id]}
            onSelect={(index) => setAnswers((a) => ({ ...a, [question.id]: index }))}
          />
        ))}
        {onePerPage && (
          <div className="card-nav">
            <button type="button" onClick={() => setPosition((p) => p - 1)} disabled={position === 0}>
              Previous question
            </button>
            <span>
              Question {position + 1} of {questions.length}
            </span>
            <button type="button" onClick={() => setPosition((p) => p + 1)} disabled={position >= questions.length - 1}>
              Next question
            </button>
          </div>
        )}
        <p className="meta">
          {answered} of {questions.length} answered
        </p>
        {submit.isError && <ErrorNotice error={submit.error} />}
        <button type="submit" disabled={submit.isPending || answered === 0}>
          {submit.isPending ? "Submitting…" : "Submit answers"}
        </button>
      </form>
    </section>
  );
}

function QuestionField(props: { number: number; question: Question; selected?: number; onSelect: (i: number) => void }) {
  const { number, question, selected, onSelect } = props;
  return (
    <fieldset className="question">
      <legend>
        {number}. {question.question}
      </legend>
      {question.options.map((option, index) => (
        <label key={index} className="choice">
          <input type="radio" name={question.id} checked={selected === index} onChange={() => onSelect(index)} />
          {option}
        </label>
      ))}
      <Citations citations={question.citations} />
    </fieldset>
  );
}

function QuizResults(props: { result: Schemas["AttemptResult"]; questions: Question[]; courseId: string }) {
  const { result, questions, courseId } = props;
  return (
    <section className="quiz-results">
      <h1>
        You scored {result.score} of {result.total} ({Math.round(result.percentage)}%)
      </h1>
      <p>{result.passed ? "Passed. Well done." : "Not passed yet: the plan below targets what you missed."}</p>
      {result.remediation_plan_id && (
        <p>
          <Link className="button" to={`/remediation/${result.remediation_plan_id}`}>
            See your remediation plan
          </Link>
        </p>
      )}
      <ol className="feedback">
        {result.feedback.map((item) => {
          const question = questions.find((q) => q.id === item.question_id);
          return (
            <li key={item.question_id} className={item.correct ? "right" : "wrong"}>
              <p className="question-text">{question?.question}</p>
              <p>
                {item.correct ? "Correct" : "Incorrect"}
                {!item.correct && question && (
                  <>
                    {" "}
                    — your answer: {item.selected_index === null ? "none" : question.options[item.selected_index]}; correct
                    answer: <strong>{question.options[item.correct_index]}</strong>
                  </>
                )}
              </p>
              <p className="explanation">{item.explanation}</p>
            </li>
          );
        })}
      </ol>
      <Link to={`/courses/${courseId}`}>Back to the course</Link>
    </section>
  );
}
