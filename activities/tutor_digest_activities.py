"""Activities of TutorDigestWorkflow: page through tutors with linked learners, write each one's
weekly digest once (inbox and, when email is on, one email)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.notifiers import Notifier
from db.models import User
from db.tutor_digest import digest_facts
from services.notifications import notify
from studyflow.contracts.activity_io import DigestBatch, DigestPage, DigestSelection
from studyflow.local_day import today_in
from studyflow.tutor_digest import digest_message

KIND = "tutor_digest"

_TUTORS = text(
    """
    SELECT DISTINCT l.tutor_id
      FROM tutor_links l JOIN users u ON u.id = l.tutor_id
     WHERE l.revoked_at IS NULL AND u.deleted_at IS NULL
       AND (CAST(:after AS uuid) IS NULL OR l.tutor_id > CAST(:after AS uuid))
     ORDER BY l.tutor_id
     LIMIT :limit
    """
)


class TutorDigestActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], notifier: Notifier):
        self._sessions = session_factory
        self._notifier = notifier

    @activity.defn
    async def select_digest_tutors(self, page: DigestPage) -> DigestSelection:
        day = page.day or today_in(page.timezone, page.now)
        async with self._sessions() as session:
            rows = await session.scalars(_TUTORS, {"after": page.after_tutor_id, "limit": page.limit})
            return DigestSelection(day=day, tutor_ids=list(rows))

    @activity.defn
    async def send_tutor_digests(self, batch: DigestBatch) -> int:
        sent = 0
        for tutor_id in batch.tutor_ids:
            async with self._sessions.begin() as session:
                tutor = await session.get(User, tutor_id)
                if tutor is None or tutor.deleted_at is not None:
                    continue
                facts = await digest_facts(session, tutor_id, batch.day, batch.inactive_days)
                if facts.learners == 0:
                    continue  # links revoked since the page was read: nobody to report on
                message = digest_message(facts)
                # One digest per tutor per week, whichever attempt of the batch writes it.
                written = await notify(
                    session, tutor_id, KIND, message, key=f"tutor-digest:{tutor_id}:{batch.day}", link="/learners"
                )
                email = tutor.email
            if written:
                # Only the attempt that wrote the row delivers it: a retried batch sends no second email.
                await self._notifier.deliver(email, "Your learners this week", message)
                sent += 1
            activity.heartbeat(sent)
        return sent
