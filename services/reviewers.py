"""Who reviews a learner's uncertain free-text grades: the one seam between grading and the
tutors of SPEC §12. Today it reads the provisional `learner_reviewers` link; at merge it becomes
the learner's tutor link (and the review queue asks the policy module)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LearnerReviewer


async def reviewer_for(session: AsyncSession, learner_id: uuid.UUID) -> uuid.UUID | None:
    """The user who grades this learner's uncertain answers, or None (the learner has no tutor:
    the automatic grade stands, shown with its uncertainty)."""
    return await session.scalar(select(LearnerReviewer.reviewer_id).where(LearnerReviewer.learner_id == learner_id))
