"""A hand-off as its learner, its tutor and the organisation's admins read it."""

from __future__ import annotations

from api.schemas.organizations import HandoffView
from db.models import TutorHandoff


def handoff_view(handoff: TutorHandoff, learner_name: str | None = None, tutor_name: str | None = None) -> HandoffView:
    return HandoffView(
        id=handoff.id,
        conversation_id=handoff.conversation_id,
        learner_id=handoff.owner_id,
        learner_name=learner_name,
        reason=handoff.reason,
        summary=handoff.summary,
        status=handoff.status,
        tutor_id=handoff.tutor_id,
        tutor_name=tutor_name,
        tutor_note=handoff.tutor_note,
        sent_at=handoff.sent_at,
        decided_at=handoff.decided_at,
        created_at=handoff.created_at,
        updated_at=handoff.updated_at,
    )
