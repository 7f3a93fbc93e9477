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
import { ShortAnswerResults, useAttempt } from "./ShortAnswerResults";

type Question = Schemas["QuizQuestionView"];

export function QuizPage() {
  const { contentId = "" } = useParams();
  const queryClient = useQueryClient();
  const quiz = useQuery(studyContentQuery(contentId));
  // An option index for a multiple-choice question, the learner's own words for a short-answer item.
  const [answers, setAnswers] = useState<Record<string, number | string>>({});
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
          body: {
            // Untouched short answers are sent empty: they are graded (as blank) like the rest.
            answers: Object.fromEntries(
              (quiz.data?.questions ?? [])
                .filter((question) => question.kind === "short_answer" || question.id in answers)
                .map((question) => [question.id, answers[question.id] ?? ""]),
            ),
            duration_seconds: Math.round((Date.now() - startedAt.current) / 1000),
          },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["dashboard"] });
      void queryClient.invalidateQueries({ queryKey: ["weak-areas"] });
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
  const answered = Object.values(answers).filter((a) => typeof a === "number" || a.trim() !== "").length;
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
            answer={answers[question.id]}
            onAnswer={(value) => setAnswers((a) => ({ ...a, [question.id]: value }))}
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

function QuestionField(props: {
  number: number;
  question: Question;
  answer?: number | string;
  onAnswer: (value: number | string) => void;
}) {
  const { number, question, answer, onAnswer } = props;
  if (question.kind === "short_answer") {
    const fieldId = `answer-${question.id}`;
    return (
      <div className="question short-answer">
        <label htmlFor={fieldId} className="question-text">
          {number}. {question.question}
        </label>
        <p className="meta" id={`${fieldId}-hint`}>
          Answer in your own words, in one to three sentences.
        </p>
        <textarea
          id={fieldId}
          aria-describedby={`${fieldId}-hint`}
          rows={4}
          maxLength={2000}
          value={typeof answer === "string" ? answer : ""}
          onChange={(e) => onAnswer(e.target.value)}
        />
        <Citations citations={question.citations} />
      </div>
    );
  }
  return (
    <fieldset className="question">
      <legend>
        {number}. {question.question}
      </legend>
      {(question.options ?? []).map((option, index) => (
        <label key={index} className="choice">
          <input type="radio" name={question.id} checked={answer === index} onChange={() => onAnswer(index)} />
          {option}
        </label>
      ))}
      <Citations citations={question.citations} />
    </fieldset>
  );
}

function QuizResults(props: { result: Schemas["AttemptResult"]; questions: Question[]; courseId: string }) {
  const { questions, courseId } = props;
  const result = useAttempt(props.result);
  const written = (result.short_answers ?? []).length > 0;
  const grading = result.grading_status === "grading";
  return (
    <section className="quiz-results">
      <h1>
        {!written && `You scored ${result.score} of ${result.total} (${Math.round(result.percentage)}%)`}
        {written && (grading ? "Your answers are being graded" : `You scored ${Math.round(result.percentage)}%`)}
      </h1>
      {grading ? (
        <p role="status">
          Written answers are graded by the computer, and by your tutor when it is unsure; your score counts them once
          they are.
        </p>
      ) : (
        <p>{result.passed ? "Passed. Well done." : "Not passed yet: the plan below targets what you missed."}</p>
      )}
      {result.remediation_plan_id && (
        <p>
          <Link className="button" to={`/remediation/${result.remediation_plan_id}`}>
            See your remediation plan
          </Link>
        </p>
      )}
      {written && <ShortAnswerResults attempt={result} />}
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
                    — your answer: {item.selected_index === null ? "none" : question.options?.[item.selected_index]}; correct
                    answer: <strong>{question.options?.[item.correct_index]}</strong>
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
