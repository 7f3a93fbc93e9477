"""Who reviews a learner's uncertain free-text grades: the one seam between grading and the
tutors of SPEC §12. The learner's tutor: the most recent active tutor link, in whichever
organisation (a learner studying alone has none, and the automatic grade stands)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TutorLink


async def reviewer_for(session: AsyncSession, learner_id: uuid.UUID) -> uuid.UUID | None:
    """The user who grades this learner's uncertain answers, or None (the learner has no tutor:
    the automatic grade stands, shown with its uncertainty)."""
    return await session.scalar(
        select(TutorLink.tutor_id)
        .where(TutorLink.learner_id == learner_id, TutorLink.revoked_at.is_(None))
        .order_by(TutorLink.created_at.desc())
        .limit(1)
    )
