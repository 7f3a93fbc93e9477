import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { ApiProblem, unwrap } from "../api/problem";
import { ErrorNotice } from "../components/ErrorNotice";
import { FieldError, FieldMessage } from "../components/FieldError";
import { queryKeys } from "../api/queryKeys";

const COURSE_TYPES: [Schemas["CourseType"], string][] = [
  ["practical", "Practical"],
  ["theoretical", "Theoretical"],
  ["exam_prep", "Exam preparation"],
  ["overview", "Overview"],
];
const DIFFICULTIES: Schemas["Difficulty"][] = ["beginner", "intermediate", "advanced"];

export function NewCoursePage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [topic, setTopic] = useState("");
  const [courseType, setCourseType] = useState<Schemas["CourseType"]>("practical");
  const [difficulty, setDifficulty] = useState<Schemas["Difficulty"]>("beginner");
  const [goals, setGoals] = useState("");
  const [learningStyle, setLearningStyle] = useState("");
  const [language, setLanguage] = useState("en");

  const create = useMutation({
    mutationFn: (body: Schemas["CourseCreate"]) => unwrap(api.POST("/v1/courses", { body })),
    onSuccess: (accepted) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard() });
      navigate(`/courses/${accepted.course_id}`);
    },
  });
  const problem = create.error instanceof ApiProblem ? create.error : null;
  const fieldProblem = problem?.status === 422 ? problem : null;
  const [topicCheck, setTopicCheck] = useState<string | null>(null);
  const topicMessage = topicCheck ?? fieldProblem?.fieldMessage("topic");

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // The API's rule, said before asking it: three letters or digits make a topic.
    const letters = topic.replace(/[^\p{L}\p{N}]/gu, "").length;
    const check = letters >= 3 ? null : "Enter a topic of at least three letters, for example “SQL joins”.";
    setTopicCheck(check);
    if (check) return;
    create.mutate({
      topic,
      course_type: courseType,
      difficulty,
      preferences: { goals: goals || null, learning_style: learningStyle || null, language },
    });
  };

  return (
    <section className="new-course">
      <h1>New course</h1>
      <p className="meta">
        Have lecture notes or slides? <Link to="/sources">Build a course from your own material</Link>.
      </p>
      <form onSubmit={submit} noValidate>
        <label htmlFor="topic">What do you want to learn?</label>
        <input
          id="topic"
          value={topic}
          onChange={(e) => setTopic(e.target.value)}
          placeholder="Python decorators"
          aria-invalid={topicMessage ? true : undefined}
          aria-describedby="topic-error"
        />
        <FieldMessage id="topic-error" message={topicMessage} />

        <fieldset>
          <legend>Kind of course</legend>
          {COURSE_TYPES.map(([value, label]) => (
            <label key={value} className="choice">
              <input
                type="radio"
                name="course_type"
                value={value}
                checked={courseType === value}
                onChange={() => setCourseType(value)}
              />
              {label}
            </label>
          ))}
        </fieldset>

        <label htmlFor="difficulty">Difficulty</label>
        <select id="difficulty" value={difficulty} onChange={(e) => setDifficulty(e.target.value as Schemas["Difficulty"])}>
          {DIFFICULTIES.map((d) => (
            <option key={d} value={d}>
              {d[0].toUpperCase() + d.slice(1)}
            </option>
          ))}
        </select>

        <label htmlFor="goals">Your goals (optional)</label>
        <textarea
          id="goals"
          value={goals}
          onChange={(e) => setGoals(e.target.value)}
          rows={3}
          aria-describedby="goals-error"
        />
        <FieldError id="goals-error" problem={fieldProblem} field="preferences.goals" />

        <label htmlFor="learning-style">How you like to learn (optional)</label>
        <input
          id="learning-style"
          value={learningStyle}
          onChange={(e) => setLearningStyle(e.target.value)}
          placeholder="examples first"
          aria-describedby="learning-style-error"
        />
        <FieldError id="learning-style-error" problem={fieldProblem} field="preferences.learning_style" />

        <label htmlFor="language">Language</label>
        <input id="language" value={language} onChange={(e) => setLanguage(e.target.value)} aria-describedby="language-error" />
        <FieldError id="language-error" problem={fieldProblem} field="preferences.language" />

        {problem && !fieldProblem && <ErrorNotice error={problem} />}
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create course"}
        </button>
      </form>
    </section>
  );
}
