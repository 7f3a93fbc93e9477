""" "Ready" announcements: one inbox notification per thing that finished (a course, notes a
learner asked for, a flashcard set, a quiz, a remediation plan), written by the activity that
marks it finished, in the same transaction and only by the transition that won its status guard.
Unique per (kind, subject): a retried activity, or a second writer, adds nothing. The event
stream sends it (kind `notification`), and the web app shows it as a toast when the learner is on
another screen."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification

KIND = "ready"
What = Literal["course", "notes", "flashcards", "quiz", "remediation"]


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text[:120]}{'…' if len(text) > 120 else ''}”"


def message_for(what: What, name: str) -> str:
    return {
        "course": f"Your course {_quoted(name)} is ready: open it to read its first topic.",
        "notes": f"The notes for {_quoted(name)} are ready to read.",
        "flashcards": f"Your flashcards for {_quoted(name)} are ready to study.",
        "quiz": f"Your quiz for {_quoted(name)} is ready to take.",
        "remediation": f"Your study plan for {_quoted(name)} is ready: it targets what the quiz showed.",
    }[what]


LINKS = {
    "course": "/courses/{}",
    "notes": "/topics/{}",
    "flashcards": "/flashcards/{}",
    "quiz": "/quizzes/{}",
    "remediation": "/remediation/{}",
}


async def announce_ready(
    session: AsyncSession, *, user_id: uuid.UUID, what: What, subject_id: uuid.UUID, name: str, day: date
) -> None:
    await session.execute(
        insert(Notification)
        .values(
            user_id=user_id,
            kind=KIND,
            reason=what,
            message=message_for(what, name),
            source="template",
            day=day,
            subject_id=subject_id,
            link=LINKS[what].format(subject_id),
        )
        .on_conflict_do_nothing(index_elements=["kind", "subject_id"], index_where=Notification.subject_id.is_not(None))
    )
