"""Every status a row can be in, and every error kind a workflow reads from an activity failure.

One definition shared by the models (their CHECK constraints), the API schemas (so the OpenAPI
document, and the web app's generated client, list the values) and the workflows (StrEnum
members are their values, so what they write into histories is unchanged)."""

from __future__ import annotations

from enum import StrEnum


class CourseStatus(StrEnum):
    generating = "generating"
    ready = "ready"
    failed = "failed"


class TopicStatus(StrEnum):
    pending = "pending"
    generating = "generating"
    completed = "completed"
    failed = "failed"


class GenerationStatus(StrEnum):
    """Study content (flashcards, quizzes) and remediation plans."""

    generating = "generating"
    completed = "completed"
    failed = "failed"


class SourceStatus(StrEnum):
    processing = "processing"
    ready = "ready"
    failed = "failed"


class GoalStatus(StrEnum):
    active = "active"
    met = "met"
    abandoned = "abandoned"


class SuggestionStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    dismissed = "dismissed"


class ConversationStatus(StrEnum):
    open = "open"
    idle = "idle"


class StudyContentType(StrEnum):
    """Not a status, but the other closed set a row is typed by (UNIQUE with its course)."""

    flashcards = "flashcards"
    quiz = "quiz"


class Plan(StrEnum):
    free = "free"
    pro = "pro"


class ErrorKind(StrEnum):
    """`ApplicationError.type` of the failures workflows and the API tell apart: the activity's
    exception class name (Temporal's convention), so a rename here is a rename there."""

    subject_gone = "SubjectGoneError"
    source_unreadable = "SourceUnreadableError"
    invalid_question = "ValueError"
    provider_event_invalid = "ProviderEventInvalidError"


def check_in(column: str, values: type[StrEnum]) -> str:
    """The CHECK constraint text that keeps a status column within its enum."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class SubjectKind(StrEnum):
    """What a recorded workflow start works on: the relay and the stuck-row repair undo an
    admission by its kind (services/undo.py)."""

    course = "course"
    topic = "topic"
    study_content = "study_content"
    remediation = "remediation"
    source = "source"
    goal = "goal"
    clerk_event = "clerk_event"
    assignment = "assignment"  # a group's fan-out
    learner_context = "learner_context"
    grading = "grading"  # the free-text answers of one quiz attempt
    session = "session"  # a tutoring session's analysis (one version)


class Role(StrEnum):
    """A person's role in an organisation (memberships); one person may hold different roles in
    different organisations."""

    admin = "admin"
    tutor = "tutor"
    learner = "learner"


class AssignmentKind(StrEnum):
    course = "course"
    quiz = "quiz"
    flashcards = "flashcards"
    practice_set = "practice_set"  # a quiz made for practice (e.g. from a session's gaps)


class AssignmentStatus(StrEnum):
    open = "open"
    completed = "completed"


class HandoffStatus(StrEnum):
    """A tutor hand-off from the chat: written for the learner (`draft`), sent by them to their
    tutor, then accepted, resolved or declined by the tutor."""

    draft = "draft"
    sent = "sent"
    accepted = "accepted"
    resolved = "resolved"
    declined = "declined"


class SessionStatus(StrEnum):
    """A tutoring session (and each version of its analysis)."""

    processing = "processing"
    ready = "ready"
    failed = "failed"


class LearnerShowed(StrEnum):
    understood = "understood"
    partial = "partial"  # wrong or prompted at first, right later in the session
    misconception = "misconception"  # still wrong at the end


class ReviewStatus(StrEnum):
    """A free-text answer's grade: being graded, waiting for the tutor, or final."""

    grading = "grading"
    pending_review = "pending_review"
    final = "final"


class GradeOutcome(StrEnum):
    """How a final grade came to be."""

    auto = "auto"  # confident enough to stand without a human
    reviewed = "reviewed"  # the tutor graded it
    not_reviewed = "not_reviewed"  # the tutor did not within the timeout: the automatic grade stands
    no_reviewer = "no_reviewer"  # uncertain, but the learner has no tutor: shown with its uncertainty
    failed = "failed"  # grading could not be started


class AttemptGrading(StrEnum):
    graded = "graded"
    grading = "grading"
