"""Every prompt the product sends, in one place. PROMPT_VERSION is part of every cache scope and
every ledger row: bump it whenever a prompt's wording or output schema changes."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel

from activities.llm.request import Prompt
from studyflow.content_rules.prompt_echo import PromptReference
from studyflow.contracts.llm_drafts import (
    CourseOutlineDraft,
    FlashcardSetDraft,
    LearnerContextDraft,
    QuizDraft,
    RemediationDraft,
    SessionInsightsDraft,
    ShortAnswerGradeDraft,
    ShortAnswerSetDraft,
    SubjectSuggestionsDraft,
    TutorAnswerDraft,
)

PROMPT_VERSION = "2026-12-01.1"

SYSTEM_TUTOR = (
    "You are an expert curriculum designer and tutor. You answer with a single JSON object that "
    "matches the given JSON schema exactly: no prose, no markdown fences."
)


def _with_topic_refs(
    model: type[BaseModel], record: str, refs: list[str], count: int, source_refs: Sequence[str]
) -> dict:
    """The output schema for this request: `topic_ref` limited to the course's topic refs, and
    exactly as many records as asked for (left free, the local model stops after one or two).
    With the learner's material, each record also names the excerpts it comes from."""
    schema = copy.deepcopy(model.model_json_schema())
    record_schema = schema["$defs"][record]
    record_schema["properties"]["topic_ref"] = {"type": "string", "enum": refs}
    if source_refs:
        record_schema["properties"]["source_refs"] = {
            "type": "array",
            "items": {"type": "string", "enum": source_refs},
            "minItems": 1,
            "maxItems": 2,
        }
        record_schema["required"] = [*record_schema.get("required", []), "source_refs"]
    else:
        del record_schema["properties"]["source_refs"]
    [records] = [name for name, spec in schema["properties"].items() if spec.get("type") == "array"]
    schema["properties"][records].update(minItems=count, maxItems=count)
    return schema


def _outline_schema(chapters: int, min_topics: int, max_topics: int) -> dict:
    """The outline asked for, in its exact shape: a model that can only write the requested
    numbers of chapters and topics leaves nothing for padding to invent."""
    schema = copy.deepcopy(CourseOutlineDraft.model_json_schema())
    schema["properties"]["chapters"].update(minItems=chapters, maxItems=chapters)
    chapter, topic = (
        schema["$defs"]["OutlineChapterDraft"]["properties"],
        schema["$defs"]["OutlineTopicDraft"]["properties"],
    )
    chapter["topics"].update(minItems=min_topics, maxItems=max_topics)
    schema["properties"]["title"]["maxLength"] = 120
    chapter["title"]["maxLength"] = topic["title"]["maxLength"] = 80
    topic["summary"]["maxLength"] = 160
    return schema


def _remediation_schema(count: int) -> dict:
    """Practice questions belong to the remediated topic, so they carry no topic_ref (an
    unconstrained field the local model once filled with 8,000 characters), and no more of them
    than asked for."""
    schema = copy.deepcopy(RemediationDraft.model_json_schema())
    del schema["$defs"]["QuizQuestionDraft"]["properties"]["topic_ref"]
    del schema["$defs"]["QuizQuestionDraft"]["properties"]["source_refs"]
    schema["properties"]["practice_questions"]["maxItems"] = count
    return schema


@dataclass(frozen=True)
class CourseBrief:
    topic: str
    course_type: str
    difficulty: str
    preferences: dict


def course_outline(
    brief: CourseBrief,
    chapters: int,
    min_topics: int,
    max_topics: int,
    *,
    few_shot: bool = False,
    material: Sequence[str] = (),
) -> Prompt:
    request = (
        f"Design a {brief.difficulty} {brief.course_type.replace('_', ' ')} course on: {brief.topic}\n"
        f"Learner preferences: {json.dumps(brief.preferences, sort_keys=True)}\n"
        f"Exactly {chapters} chapters, ordered from foundations to mastery. Each chapter has "
        f"{min_topics} to {max_topics} topics; each topic gets a short title and a one-sentence "
        "summary of what the learner will be able to do."
        f"{_material_block(material)}"
    )
    return _finished(
        Prompt(
            purpose="course_outline",
            schema_name="course_outline",
            messages=[
                {"role": "system", "content": SYSTEM_TUTOR},
                {"role": "user", "content": request},
            ],
            schema=_outline_schema(chapters, min_topics, max_topics),
            version=PROMPT_VERSION,
        ),
        few_shot,
    )


def topic_notes(
    brief: CourseBrief,
    chapter_title: str,
    topic_title: str,
    summary: str,
    *,
    few_shot: bool = False,
    context: Sequence[str] = (),
) -> Prompt:
    request = (
        f"Write study notes for the topic '{topic_title}' (chapter '{chapter_title}') of a "
        f"{brief.difficulty} {brief.course_type.replace('_', ' ')} course on {brief.topic}.\n"
        f"Topic summary: {summary or 'n/a'}\n"
        "Fields: explanation (clear, several paragraphs, markdown allowed), key_points (3-7 short "
        "bullets), example (a worked example, or a code example in a fenced block if the subject "
        "is programming; empty string if no example fits), interview_questions (3-5 questions a "
        "interviewer or examiner would ask about it)."
        f"{_context_block(list(context))}"
    )
    return _finished(
        Prompt(
            purpose="topic_notes",
            schema_name="topic_notes",
            messages=[
                {"role": "system", "content": SYSTEM_TUTOR},
                {"role": "user", "content": request},
            ],
            version=PROMPT_VERSION,
        ),
        few_shot,
    )


def _topic_list(topics: list[tuple[str, str]]) -> str:
    return "\n".join(f"{ref}: {title}" for ref, title in topics)


def _material_block(material: Sequence[str]) -> str:
    if not material:
        return ""
    joined = "\n---\n".join(material)
    return (
        "\nThe course is built from the learner's own material; its chapters and topics must follow "
        f"what these excerpts cover:\n{joined}\n"
    )


def _cited_context(context: list[str], source_refs: Sequence[str]) -> list[str]:
    """Excerpts from the learner's material carry their S-number so records can cite them."""
    return [f"[{ref}] {text}" for ref, text in zip(source_refs, context, strict=False)] + context[len(source_refs) :]


def _cite_instruction(source_refs: Sequence[str], what: str) -> str:
    return f"Cite in source_refs the S-numbers of the excerpts each {what} comes from. " if source_refs else ""


def _context_block(context: list[str]) -> str:
    if not context:
        return ""
    joined = "\n---\n".join(context)
    return f"\nUse this course material as the source of truth:\n{joined}\n"


def quiz(
    brief: CourseBrief,
    topics: list[tuple[str, str]],
    context: list[str],
    count: int,
    *,
    few_shot: bool = False,
    source_refs: Sequence[str] = (),
) -> Prompt:
    """`source_refs` name the first len(source_refs) context entries: excerpts of the learner's
    own material, which every question must then cite."""
    source_refs = list(source_refs)
    request = (
        f"Write {count} multiple-choice questions for a {brief.difficulty} "
        f"{brief.course_type.replace('_', ' ')} course on {brief.topic}.\n"
        f"Topics (cite one per question in topic_ref):\n{_topic_list(topics)}\n"
        f"{_context_block(_cited_context(context, source_refs))}"
        "Each question: exactly 4 distinct options, `answer` copied exactly from the correct option "
        "and `answer_index` its position (0-3), "
        "an explanation of why it is right, 2-4 key_points, and the topic_ref it tests. "
        f"{_cite_instruction(source_refs, 'question')}"
        "No two questions alike."
    )
    return _finished(
        Prompt(
            purpose="quiz",
            schema_name="quiz",
            messages=[{"role": "system", "content": SYSTEM_TUTOR}, {"role": "user", "content": request}],
            schema=_with_topic_refs(QuizDraft, "QuizQuestionDraft", [ref for ref, _ in topics], count, source_refs),
            version=PROMPT_VERSION,
        ),
        few_shot,
    )


def flashcards(
    brief: CourseBrief,
    topics: list[tuple[str, str]],
    context: list[str],
    count: int,
    *,
    few_shot: bool = False,
    source_refs: Sequence[str] = (),
) -> Prompt:
    source_refs = list(source_refs)
    request = (
        f"Write {count} flashcards for a {brief.difficulty} {brief.course_type.replace('_', ' ')} "
        f"course on {brief.topic}.\nTopics (cite one per card in topic_ref):\n{_topic_list(topics)}\n"
        f"{_context_block(_cited_context(context, source_refs))}"
        "Each card: a short question or term on the front, a precise answer on the back, and its "
        f"topic_ref. {_cite_instruction(source_refs, 'card')}No two cards with the same front."
    )
    return _finished(
        Prompt(
            purpose="flashcards",
            schema_name="flashcards",
            messages=[{"role": "system", "content": SYSTEM_TUTOR}, {"role": "user", "content": request}],
            schema=_with_topic_refs(
                FlashcardSetDraft, "FlashcardDraft", [ref for ref, _ in topics], count, source_refs
            ),
            version=PROMPT_VERSION,
        ),
        few_shot,
    )


@dataclass(frozen=True)
class RepairContext:
    """What a rewrite request repeats of the request that produced the set."""

    kind: str  # quiz | flashcards
    brief: CourseBrief
    topics: list[tuple[str, str]]
    context: list[str]
    few_shot: bool = False
    source_refs: Sequence[str] = ()


def item_repair(ctx: RepairContext, flawed: list[tuple[dict, list[str]]]) -> Prompt:
    """The quality gate's one rewrite round: each flawed item as it was, with what is wrong with
    it, and a request for exactly as many replacements, in the same order and shape."""
    kind, brief, topics, context, source_refs = ctx.kind, ctx.brief, ctx.topics, ctx.context, list(ctx.source_refs)
    noun = "questions" if kind == "quiz" else "flashcards"
    listed = "\n\n".join(
        f"Item {n}: {json.dumps(item, ensure_ascii=False)}\nProblems: " + "; ".join(problems)
        for n, (item, problems) in enumerate(flawed, start=1)
    )
    shape = (
        "Each question: exactly 4 distinct options of similar length, `answer` copied exactly from the "
        "correct option and `answer_index` its position (0-3), an explanation, 2-4 key_points, the topic_ref."
        if kind == "quiz"
        else "Each card: a short question or term on the front, a precise answer on the back, the topic_ref."
    )
    request = (
        f"Some {noun} written for a {brief.difficulty} {brief.course_type.replace('_', ' ')} course on "
        f"{brief.topic}.\nThey have item-writing flaws. Topics (topic_ref):\n{_topic_list(topics)}\n"
        f"{_context_block(_cited_context(context, source_refs))}\n{listed}\n\n"
        f"Write {len(flawed)} replacement {noun}, one per item and in the same order, each testing the "
        f"same idea without its problems. {shape} {_cite_instruction(source_refs, noun[:-1])}"
        "Plain text only: no JSON or markdown inside the fields."
    )
    model, record = (QuizDraft, "QuizQuestionDraft") if kind == "quiz" else (FlashcardSetDraft, "FlashcardDraft")
    return _finished(
        Prompt(
            purpose=f"{kind}_repair",
            schema_name=kind,
            messages=[{"role": "system", "content": SYSTEM_TUTOR}, {"role": "user", "content": request}],
            schema=_with_topic_refs(model, record, [ref for ref, _ in topics], len(flawed), source_refs),
            version=PROMPT_VERSION,
        ),
        ctx.few_shot,
    )


def remediation(
    brief: CourseBrief, topic_title: str, missed: list[str], context: list[str], count: int, *, few_shot: bool = False
) -> Prompt:
    missed_list = "\n".join(f"- {question}" for question in missed) or "- (unanswered)"
    request = (
        f"A learner in a {brief.difficulty} course on {brief.topic} answered these questions on "
        f"'{topic_title}' wrongly:\n{missed_list}\n{_context_block(context)}"
        "Help them recover: an explanation that targets the likely misunderstanding, 3-5 key_points, "
        f"and {count} practice_questions (each: exactly 4 distinct options, `answer` copied exactly "
        "from the correct option, an explanation, key_points)."
    )
    return _finished(
        Prompt(
            purpose="remediation",
            schema_name="remediation",
            messages=[{"role": "system", "content": SYSTEM_TUTOR}, {"role": "user", "content": request}],
            schema=_remediation_schema(count),
            version=PROMPT_VERSION,
        ),
        few_shot,
    )


def subject_suggestions(
    goal: str, courses: list[tuple[str, float]], weak_topics: list[tuple[str, float]], *, few_shot: bool = False
) -> Prompt:
    """`courses`: the learner's course topics with progress (0-100); `weak_topics`: title, mastery (0-1)."""
    taken = "\n".join(f"- {topic} ({pct:.0f}% done)" for topic, pct in courses) or "- (none)"
    weak = "\n".join(f"- {title} (mastery {mastery:.0%})" for title, mastery in weak_topics) or "- (none)"
    request = (
        f"A learner just met their goal: {goal}.\nTheir courses:\n{taken}\nTheir weakest topics:\n{weak}\n"
        "Propose exactly 3 subjects to study next. Each: `topic`, a course subject of 3-80 characters "
        "that is none of their courses, and `reason`, one sentence tying it to their history."
    )
    schema = SubjectSuggestionsDraft.model_json_schema()
    schema["properties"]["suggestions"].update(minItems=3, maxItems=3)
    return _finished(
        Prompt(
            purpose="subject_suggestions",
            schema_name="subject_suggestions",
            messages=[{"role": "system", "content": SYSTEM_TUTOR}, {"role": "user", "content": request}],
            schema=schema,
            version=PROMPT_VERSION,
        ),
        few_shot,
    )


SYSTEM_STUDY_COMPANION = (
    "You are a patient tutor who answers only from the learner's own material shown to you. You "
    "answer with a single JSON object that matches the given JSON schema exactly."
)


def tutor_answer(
    question: str, excerpts: list[str], recent: list[tuple[str, str]], *, few_shot: bool = False
) -> Prompt:
    """`excerpts` are numbered from 1 in the order given; the answer cites them by number."""
    numbered = "\n".join(f"[{n}] {text}" for n, text in enumerate(excerpts, start=1))
    earlier = "\n".join(f"{'Learner' if role == 'learner' else 'Tutor'}: {text}" for role, text in recent)
    request = (
        f"Excerpts from the learner's material:\n{numbered}\n\n"
        + (f"Conversation so far:\n{earlier}\n\n" if earlier else "")
        + f"Learner's question: {question}\n\n"
        "Answer in a few sentences using only these excerpts, and list in `citations` the numbers of "
        "the excerpts your answer rests on. If they do not answer the question, set answerable to "
        "false and leave answer and citations empty: never invent. `confidence` (0-1) is how fully "
        "the excerpts support your answer."
    )
    schema = TutorAnswerDraft.model_json_schema()
    schema["properties"]["citations"]["items"] = {"type": "integer", "enum": list(range(1, len(excerpts) + 1))}
    return _finished(
        Prompt(
            purpose="tutor_answer",
            schema_name="tutor_answer",
            messages=[{"role": "system", "content": SYSTEM_STUDY_COMPANION}, {"role": "user", "content": request}],
            schema=schema,
            version=PROMPT_VERSION,
        ),
        few_shot,
    )


SYSTEM_MARKER = (
    "You mark a learner's short answer against a rubric, point by point, like a careful teacher. "
    "You answer with a single JSON object that matches the given JSON schema exactly."
)


def short_answer_grade(question: str, rubric: list[tuple[str, str]], answer: str) -> Prompt:
    """`rubric`: (point id, point text). Every credited point must quote the answer; the activity
    rejects quotes that are not in it."""
    points = "\n".join(f"{pid}: {text}" for pid, text in rubric)
    request = (
        f"Question: {question}\n\nRubric points:\n{points}\n\nLearner's answer:\n<<<{answer}>>>\n\n"
        "For every rubric point give `score`: 1 when the answer states the point correctly in any "
        "words, 0.5 when it is half made (one part missing or vague), 0 when it is absent, only "
        "named, false, negated or contradicted. `quote`: the words of the learner's answer that make "
        "the point, copied exactly (empty for 0). `justification`: one short sentence. `confidence` "
        "(0-1): how sure you are of the score. Repeating the question earns nothing."
    )
    schema = ShortAnswerGradeDraft.model_json_schema()
    schema["$defs"]["RubricPointGradeDraft"]["properties"]["point_id"]["enum"] = [pid for pid, _ in rubric]
    return Prompt(
        purpose="short_answer_grade",
        schema_name="short_answer_grade",
        messages=[{"role": "system", "content": SYSTEM_MARKER}, {"role": "user", "content": request}],
        schema=schema,
        version=PROMPT_VERSION,
        temperature=0.0,
    )


def short_answer_items(brief: CourseBrief, topics: list[tuple[str, str]], context: list[str], count: int) -> Prompt:
    """Short-answer items from the excerpts the generation saw: each rubric point quotes one."""
    numbered = "\n".join(f"[S{i + 1}] {text}" for i, text in enumerate(context))
    request = (
        f"Write {count} short-answer questions for a {brief.difficulty} course on {brief.topic}.\n"
        f"Topics:\n{_topic_list(topics)}\n\nExcerpts:\n{numbered}\n\n"
        "Each item: a `question` the learner answers in one to three sentences of their own words "
        "(explain, describe, why); a complete `model_answer`; a `rubric` of 2 to 5 distinct key "
        "points, each a claim the answer must make (never a restatement of the question), with a "
        "`weight` 1-3 and a `source_quote` copied exactly from one excerpt; the `topic_ref` it tests "
        "and the `source_refs` (S-numbers) it comes from. Ask only what the excerpts say."
    )
    return Prompt(
        purpose="short_answers",
        schema_name="short_answers",
        messages=[{"role": "system", "content": SYSTEM_TUTOR}, {"role": "user", "content": request}],
        schema=ShortAnswerSetDraft.model_json_schema(),
        version=PROMPT_VERSION,
    )


NUDGE_REASONS = {
    "streak_at_risk": "studied yesterday but not yet today, and their {streak}-day streak ends tonight",
    "inactive": "has not studied for {idle} days",
    "new_learner": "joined a week ago and has studied only a little so far",
    "few_tutoring_sessions": "joined their tutoring centre a week ago and has had fewer than three sessions "
    "with their tutor so far",
    "goal_behind": "is behind on their goal to {goal}; what it takes now: {pace}",
}


def nudge(
    reason: str,
    streak: int,
    idle_days: int,
    course_topic: str | None,
    *,
    few_shot: bool = False,
    goal: tuple[str, str] | None = None,
) -> Prompt:
    """`goal`: the goal in words and its pace, for a learner behind on it (named in the message)."""
    described, pace = goal or ("", "")
    situation = NUDGE_REASONS[reason].format(streak=streak, idle=idle_days, goal=described, pace=pace)
    request = (
        f"Write one short, warm, specific in-app message (under 200 characters) for a learner who "
        f"{situation}. {'Their latest course is on ' + course_topic + '. ' if course_topic else ''}"
        + ("Name the goal and what it takes now. " if goal else "")
        + "Invite them to a 10-minute session. No guilt, no emojis. Field: message."
    )
    return _finished(
        Prompt(
            purpose="nudge",
            schema_name="nudge",
            messages=[{"role": "system", "content": SYSTEM_TUTOR}, {"role": "user", "content": request}],
            temperature=0.7,
            version=PROMPT_VERSION,
        ),
        few_shot,
    )


# --- few-shot examples: a small local model follows a worked example far better than a
# description of the format. One example exchange per task, prepended to the request. Quizzes
# and flashcards have none: the 135M model copied the example's cards verbatim into other courses.
_EXAMPLES = {
    "tutor_answer": (
        "Excerpts from the learner's material:\n[1] notes.md, § Lists: A Python list keeps items in order "
        "and can change after it is made.\n[2] notes.md, § Tuples: A tuple keeps items in order but cannot "
        "change once made.\n\nLearner's question: Can a tuple be changed after it is made?",
        {
            "answer": "No. A tuple keeps its items in order but cannot change once it is made.",
            "citations": [2],
            "confidence": 0.9,
            "answerable": True,
        },
    ),
    "course_outline": (
        "Design a beginner practical course on: Git basics\nExactly 2 chapters. Each chapter has 2 to 3 topics.",
        {
            "title": "Git basics",
            "chapters": [
                {
                    "title": "Getting started",
                    "topics": [
                        {"title": "Installing Git", "summary": "Install Git and set your name and email."},
                        {"title": "First repository", "summary": "Create a repository and make a first commit."},
                    ],
                },
                {
                    "title": "Working with branches",
                    "topics": [
                        {"title": "Creating branches", "summary": "Create and switch between branches."},
                        {"title": "Merging", "summary": "Merge a branch and resolve a simple conflict."},
                    ],
                },
            ],
        },
    ),
    "topic_notes": (
        "Write study notes for the topic 'Creating branches' of a beginner course on Git basics.",
        {
            "explanation": "A branch is a movable pointer to a commit. Creating one lets you work on a change "
            "without touching the main line of work.",
            "key_points": [
                "git branch NAME creates a branch",
                "git switch NAME moves to it",
                "commits go to the current branch",
            ],
            "example": "```bash\ngit branch feature\ngit switch feature\n```",
            "interview_questions": ["What is a branch in Git?", "How do you create and switch to a branch?"],
        },
    ),
    "remediation": (
        "A learner answered these questions on 'Merging' wrongly:\n- What does git merge do?",
        {
            "explanation": "git merge joins the history of another branch into the current one.",
            "key_points": ["merge into the current branch", "conflicts must be resolved by hand"],
            "practice_questions": [
                {
                    "question": "Into which branch does git merge feature merge?",
                    "options": ["the current branch", "feature", "main always", "a new branch"],
                    "answer": "the current branch",
                    "explanation": "Merges go into HEAD.",
                    "key_points": ["HEAD receives the merge"],
                }
            ],
        },
    ),
    "subject_suggestions": (
        "A learner just met their goal: finish the Git basics course.\nTheir courses:\n- Git basics (100% done)\n"
        "Their weakest topics:\n- Merging (mastery 40%)\nPropose exactly 3 subjects to study next.",
        {
            "suggestions": [
                {"topic": "Git branching strategies", "reason": "You finished Git basics; team workflows build on it."},
                {"topic": "Resolving merge conflicts", "reason": "Merging is your weakest topic so far."},
                {"topic": "GitHub Actions", "reason": "Automating checks is the next step after version control."},
            ]
        },
    ),
    "nudge": (
        "Write one short message for a learner who has not studied for 3 days.",
        {"message": "Three days away is nothing. Ten minutes on your course today picks it right back up."},
    ),
}


def _finished(prompt: Prompt, few_shot: bool) -> Prompt:
    """The messages as sent: with a worked example after the system message when asked for
    (`LLM_FEW_SHOT`, for small local models) and one exists for this kind of request."""
    example = _EXAMPLES.get(prompt.schema_name)
    if not few_shot or example is None:
        return prompt
    request, answer = example
    system, *rest = prompt.messages
    shots = [{"role": "user", "content": request}, {"role": "assistant", "content": json.dumps(answer)}]
    return replace(prompt, messages=[system, *shots, *rest])


def _flatten(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _flatten(item)]
    if isinstance(value, list):
        return [text for item in value for text in _flatten(item)]
    return []


# The worked examples' subjects (Git, Python tuples): words that, in a course that is not about them,
# only come from the examples.
# ("branch", "merge" and "tuple" alone are ordinary words of other subjects: only Git's own terms.)
_EXAMPLE_SUBJECT = re.compile(
    r"\b(?:git|github|gitlab|commits?|repositor(?:y|ies))\b|\b(?:creat\w*|switch\w*|merg\w*)\s+(?:a\s+|two\s+)?branch",
    re.IGNORECASE,
)


def reference_for(prompt: Prompt, exclude: Sequence[str] = ()) -> PromptReference:
    """What the model was told, for `prompt_echo`: the prompt's wording and every worked example
    (whether or not this request carried one: a model may have seen it in an earlier turn of the
    same server, and copying it is wrong anywhere), without the learner's own words in it — their
    topic, titles, question and material (`exclude`), which an answer may rightly repeat."""
    texts = []
    for message in prompt.messages:
        text = str(message.get("content", ""))
        for own in sorted((e for e in exclude if e), key=len, reverse=True):
            text = text.replace(own, " ")
        texts.append(text)
    examples = [text for request, answer in _EXAMPLES.values() for text in [request, *_flatten(answer)]]
    phrases = [text for _, answer in _EXAMPLES.values() for text in _flatten(answer)]
    about_the_example = _EXAMPLE_SUBJECT.search(" ".join(e for e in exclude if e))
    return PromptReference.of(texts + examples, phrases, None if about_the_example else _EXAMPLE_SUBJECT)


def learner_context(facts: str, *, few_shot: bool = False) -> Prompt:
    """`facts`: what the data says about the learner, as lines (profile, challenges, strengths,
    practice, assignments); the summary may say nothing they do not."""
    request = (
        f"Facts about a learner, from their study data:\n{facts}\n\n"
        "Write `summary`: 3-5 sentences a human tutor reads in a minute before a session with this "
        "learner: where they struggle, what they do well, what to focus on next. Use only the facts "
        "above; name topics exactly as written there; no advice the facts do not support."
    )
    return _finished(
        Prompt(
            purpose="learner_context",
            schema_name="learner_context",
            messages=[{"role": "system", "content": SYSTEM_TUTOR}, {"role": "user", "content": request}],
            schema=LearnerContextDraft.model_json_schema(),
            version=PROMPT_VERSION,
        ),
        few_shot,
    )


def session_insights(subject: str, window_text: str, part: int, parts: int, *, few_shot: bool = False) -> Prompt:
    """One window of a tutoring session's transcript (`12:30 L: text` lines). Quotes must be copied
    exactly: they are checked against the transcript and dropped when not found there."""
    where = f" (part {part} of {parts} of the session)" if parts > 1 else ""
    request = (
        f"Transcript of a tutoring session on {subject}{where}. T is the tutor, L the learner, O anyone "
        f"else.\n\n{window_text}\n\n"
        "List the concepts taught in this part (at most 6; skip small talk). For each: `name`, "
        "`difficulty` 1-10 for this learner, `learner_showed`: `understood` (correct on their own), "
        "`partial` (wrong or prompted first, right later), or `misconception` (still wrong); and "
        "`evidence`: 1-3 quotes copied word for word from the lines above (5-25 words from one line, "
        "the learner's words where possible), each with its `speaker` letter. Then `topics`, the "
        "learner's `strengths`, `areas_for_improvement` and the `action_items` the tutor set. Say only "
        "what the transcript shows."
    )
    schema = copy.deepcopy(SessionInsightsDraft.model_json_schema())
    return _finished(
        Prompt(
            purpose="session_insights",
            schema_name="session_insights",
            messages=[{"role": "system", "content": SYSTEM_TUTOR}, {"role": "user", "content": request}],
            schema=schema,
            version=PROMPT_VERSION,
        ),
        few_shot,
    )
