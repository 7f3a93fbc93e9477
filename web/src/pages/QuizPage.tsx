import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { isNotFound, unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { Citations } from "../components/Citations";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { NotFound } from "../components/NotFound";
import { QualityNote } from "../components/QualityNote";
import { WorkProgress } from "../components/WorkProgress";
import { studyContentQuery } from "./FlashcardsPage";
import { ShortAnswerResults, useAttempt } from "./ShortAnswerResults";

type Question = Schemas["QuizQuestionView"];
type Feedback = Schemas["QuestionFeedback"];
type Round = { key: number; practise: Question[] | null };

/** The quiz: a sitting graded on the server (an attempt), or practice on the questions missed
 *  (answers checked one by one, nothing recorded). "Retake" starts a new sitting. */
export function QuizPage() {
  const { contentId = "" } = useParams();
  const quiz = useQuery(studyContentQuery(contentId));
  const [sitting, setSitting] = useState<Round>({ key: 0, practise: null });
  if (quiz.isPending) return <Loading what="the quiz" />;
  if (isNotFound(quiz.error) || quiz.data?.type === "flashcards") return <NotFound what="quiz" />;
  if (quiz.isError) return <ErrorNotice error={quiz.error} onRetry={() => quiz.refetch()} />;
  const q = quiz.data;
  if (q.status === "generating") return <WorkProgress kind="quiz" since={q.updated_at} doing="Writing your quiz" />;
  if (q.status === "failed") return <ErrorNotice error={new Error(q.error ?? "quiz generation failed")} />;
  const questions = q.questions ?? [];
  const again = (practise: Question[] | null) => setSitting((s) => ({ key: s.key + 1, practise }));
  if (sitting.practise) {
    return <Practice key={sitting.key} quiz={q} questions={sitting.practise} onRetake={() => again(null)} />;
  }
  return <Sitting key={sitting.key} quiz={q} questions={questions} onRetake={() => again(null)} onPractise={again} />;
}

function Sitting(props: {
  quiz: Schemas["StudyContentView"];
  questions: Question[];
  onRetake: () => void;
  onPractise: (missed: Question[]) => void;
}) {
  const { quiz, questions, onRetake, onPractise } = props;
  const queryClient = useQueryClient();
  // An option index for a multiple-choice question, the learner's own words for a short-answer item.
  const [answers, setAnswers] = useState<Record<string, number | string>>({});
  const [checked, setChecked] = useState<Record<string, Feedback>>({});
  const [feedbackMode, setFeedbackMode] = useState(false);
  const [onePerPage, setOnePerPage] = useState(true);
  const [position, setPosition] = useState(0);
  const [confirmUnanswered, setConfirmUnanswered] = useState(false);
  const startedAt = useRef(Date.now());
  // One key per sitting: a resubmit after a dropped connection returns the first result, never a second attempt.
  const idempotencyKey = useRef(crypto.randomUUID());
  const submit = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/quizzes/{quiz_id}/attempts", {
          params: { path: { quiz_id: quiz.id }, header: { "idempotency-key": idempotencyKey.current } },
          body: {
            // Untouched short answers are sent empty: they are graded (as blank) like the rest.
            answers: Object.fromEntries(
              questions
                .filter((question) => question.kind === "short_answer" || question.id in answers)
                .map((question) => [question.id, answers[question.id] ?? ""]),
            ),
            duration_seconds: Math.round((Date.now() - startedAt.current) / 1000),
          },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.weakAreas() });
    },
  });
  const check = useCheck(quiz.id, (feedback) => setChecked((c) => ({ ...c, [feedback.question_id]: feedback })));

  if (submit.data) {
    // Practice checks choices one by one; written answers are graded by their own workflow.
    const missed = questions.filter(
      (question) =>
        question.kind !== "short_answer" && !submit.data.feedback.find((f) => f.question_id === question.id)?.correct,
    );
    return (
      <QuizResults
        result={submit.data}
        questions={questions}
        courseId={quiz.course_id}
        onRetake={onRetake}
        onPractise={missed.length > 0 ? () => onPractise(missed) : undefined}
      />
    );
  }
  const shown = onePerPage ? questions.slice(position, position + 1) : questions;
  const isAnswered = (value: number | string | undefined) =>
    value !== undefined && (typeof value === "number" || value.trim() !== "");
  const unanswered = questions.filter((question) => !isAnswered(answers[question.id]));
  const answer = (question: Question, value: number | string) => {
    if (checked[question.id]) return; // checked answers are final, as on paper
    setAnswers((a) => ({ ...a, [question.id]: value }));
    setConfirmUnanswered(false);
    if (feedbackMode && typeof value === "number") check.mutate({ question_id: question.id, selected_index: value });
  };
  return (
    <section className="quiz">
      <p className="breadcrumb">
        <Link to={`/courses/${quiz.course_id}`}>Back to the course</Link>
      </p>
      <h1>Quiz</h1>
      <QualityNote report={quiz.quality} noun="questions" model={quiz.model} />
      <div className="quiz-options">
        <label className="choice">
          <input type="checkbox" checked={!onePerPage} onChange={(e) => setOnePerPage(!e.target.checked)} />
          Show all questions on one page
        </label>
        <label className="choice">
          <input
            type="checkbox"
            checked={feedbackMode}
            disabled={Object.keys(answers).length > 0}
            onChange={(e) => setFeedbackMode(e.target.checked)}
          />
          Tell me after each question whether I was right
        </label>
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (unanswered.length > 0 && !confirmUnanswered) setConfirmUnanswered(true);
          else submit.mutate();
        }}
      >
        {shown.map((question) => (
          <QuestionField
            key={question.id}
            number={questions.indexOf(question) + 1}
            question={question}
            answer={answers[question.id]}
            feedback={checked[question.id]}
            onAnswer={(value) => answer(question, value)}
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
          {questions.length - unanswered.length} of {questions.length} answered
        </p>
        {confirmUnanswered && (
          <div className="notice unanswered-warning" role="alert">
            <p>
              {unanswered.length} question{unanswered.length === 1 ? " is" : "s are"} not answered yet: unanswered
              questions count as wrong.
            </p>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setOnePerPage(true);
                setPosition(questions.indexOf(unanswered[0]));
                setConfirmUnanswered(false);
              }}
            >
              Go to question {questions.indexOf(unanswered[0]) + 1}
            </button>{" "}
            <button type="submit">Submit anyway</button>
          </div>
        )}
        {submit.isError && <ErrorNotice error={submit.error} />}
        {check.isError && <ErrorNotice error={check.error} />}
        {!confirmUnanswered && (
          <button type="submit" disabled={submit.isPending || unanswered.length === questions.length}>
            {submit.isPending ? "Submitting…" : "Submit answers"}
          </button>
        )}
      </form>
    </section>
  );
}

/** Practising the questions missed: each answer checked at once, nothing recorded. */
function Practice(props: { quiz: Schemas["StudyContentView"]; questions: Question[]; onRetake: () => void }) {
  const { quiz, questions, onRetake } = props;
  const [answers, setAnswers] = useState<Record<string, number>>({});
  const [checked, setChecked] = useState<Record<string, Feedback>>({});
  const check = useCheck(quiz.id, (feedback) => setChecked((c) => ({ ...c, [feedback.question_id]: feedback })));
  const done = Object.keys(checked).length;
  const right = Object.values(checked).filter((f) => f.correct).length;
  return (
    <section className="quiz practice">
      <p className="breadcrumb">
        <Link to={`/courses/${quiz.course_id}`}>Back to the course</Link>
      </p>
      <h1>Practise what you missed</h1>
      <p className="meta">
        {questions.length} question{questions.length === 1 ? "" : "s"}; each answer is checked at once. Practice is not
        scored.
      </p>
      {questions.map((question, i) => (
        <QuestionField
          key={question.id}
          number={i + 1}
          question={question}
          answer={answers[question.id]}
          feedback={checked[question.id]}
          onAnswer={(value) => {
            if (checked[question.id] || typeof value !== "number") return;
            setAnswers((a) => ({ ...a, [question.id]: value }));
            check.mutate({ question_id: question.id, selected_index: value });
          }}
        />
      ))}
      {check.isError && <ErrorNotice error={check.error} />}
      {done === questions.length && (
        <p className="notice" role="status">
          {right} of {questions.length} right this time.
        </p>
      )}
      <p className="actions">
        <button type="button" onClick={onRetake}>
          Retake the whole quiz
        </button>
        <Link to={`/courses/${quiz.course_id}`}>Back to the course</Link>
      </p>
    </section>
  );
}

function useCheck(quizId: string, onChecked: (feedback: Feedback) => void) {
  return useMutation({
    mutationFn: (body: Schemas["AnswerCheck"]) =>
      unwrap(api.POST("/v1/quizzes/{quiz_id}/check", { params: { path: { quiz_id: quizId } }, body })),
    onSuccess: onChecked,
  });
}

function QuestionField(props: {
  number: number;
  question: Question;
  answer?: number | string;
  feedback?: Feedback;
  onAnswer: (value: number | string) => void;
}) {
  const { number, question, answer, feedback, onAnswer } = props;
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
    <fieldset className={`question${feedback ? (feedback.correct ? " right" : " wrong") : ""}`}>
      <legend>
        {number}. {question.question}
      </legend>
      {(question.options ?? []).map((option, index) => (
        <label key={index} className="choice">
          <input
            type="radio"
            name={question.id}
            checked={answer === index}
            disabled={feedback !== undefined && answer !== index}
            onChange={() => onAnswer(index)}
          />
          {option}
        </label>
      ))}
      {feedback && (
        <div className="question-feedback" role="status">
          <p>
            <strong>{feedback.correct ? "Right." : "Not quite."}</strong>
            {!feedback.correct && (
              <>
                {" "}
                The answer is <strong>{question.options?.[feedback.correct_index]}</strong>.
              </>
            )}
          </p>
          {feedback.explanation && <p className="explanation">{feedback.explanation}</p>}
        </div>
      )}
      <Citations citations={question.citations} />
    </fieldset>
  );
}

function QuizResults(props: {
  result: Schemas["AttemptResult"];
  questions: Question[];
  courseId: string;
  onRetake: () => void;
  onPractise?: () => void;
}) {
  const { questions, courseId, onRetake, onPractise } = props;
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
      <p className="actions">
        {result.remediation_plan_id && (
          <Link className="button" to={`/remediation/${result.remediation_plan_id}`}>
            See your remediation plan
          </Link>
        )}
        {onPractise && (
          <button type="button" onClick={onPractise}>
            Practise what I missed
          </button>
        )}
        <button type="button" className="secondary" onClick={onRetake}>
          Retake the quiz
        </button>
      </p>
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
