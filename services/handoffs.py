"""Hand-offs from the tutor chat to a human tutor. The chat writes one when the learner keeps
struggling (a draft only the learner sees); the learner sends it to one of their tutors, whose
inbox it lands in with its summary; the tutor accepts, resolves or declines it with a note, and
the learner sees the status. Sending it also lets that tutor read the conversation it came from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.analytics.dirty import mark_dirty
from db.models import Organization, TutorHandoff, TutorLink, User
from services.actor import Actor
from services.admission import Admission
from services.errors import ServiceError
from services.learner_context import mark_stale
from services.notifications import notify
from services.policy import Action, OrgResource, Relation, authorize_org, relation_to
from studyflow.local_day import today_in
from studyflow.statuses import HandoffStatus, Role

DECISIONS = {
    "accept": HandoffStatus.accepted,
    "resolve": HandoffStatus.resolved,
    "decline": HandoffStatus.declined,
}


@dataclass(frozen=True)
class HandoffRow:
    handoff: TutorHandoff
    learner_name: str
    tutor_name: str | None
    organization_name: str | None


async def handoff_for(session: AsyncSession, actor: Actor, handoff_id: uuid.UUID) -> TutorHandoff:
    """The learner's own; the tutor it was sent to; an admin of the organisation it was sent in."""
    handoff = await session.get(TutorHandoff, handoff_id)
    what = f"tutor hand-off {handoff_id}"
    if handoff is None:
        raise ServiceError(404, f"{what} not found")
    if handoff.owner_id == actor.id:
        return handoff
    sent = handoff.status != HandoffStatus.draft and handoff.organization_id == actor.organization_id
    if sent and (handoff.tutor_id == actor.id or actor.role == Role.admin):
        return handoff
    raise ServiceError(404, f"{what} not found")


async def send(admission: Admission, handoff_id: uuid.UUID, tutor_id: uuid.UUID | None) -> TutorHandoff:
    session, actor = admission.session, admission.actor
    handoff = await handoff_for(session, actor, handoff_id)
    if handoff.owner_id != actor.id:
        raise ServiceError(403, "only the learner sends their hand-off")
    if handoff.status != HandoffStatus.draft:
        raise ServiceError(409, f"this hand-off was already sent ({handoff.status})")
    links = (
        await session.execute(
            select(TutorLink.tutor_id, TutorLink.organization_id).where(
                TutorLink.learner_id == actor.id,
                TutorLink.revoked_at.is_(None),
                *([TutorLink.organization_id == actor.organization_id] if actor.organization_id else []),
            )
        )
    ).all()
    if not links:
        raise ServiceError(409, "you have no tutor to send this to: a tutor of your organisation can invite you")
    chosen = [link for link in links if tutor_id is None or link.tutor_id == tutor_id]
    if not chosen:
        raise ServiceError(404, f"tutor {tutor_id} is not one of your tutors")
    if tutor_id is None and len({link.tutor_id for link in chosen}) > 1:
        raise ServiceError(422, "you have several tutors: name the one to send it to (tutor_id)")
    handoff.tutor_id, handoff.organization_id = chosen[0].tutor_id, chosen[0].organization_id
    handoff.status, handoff.sent_at = HandoffStatus.sent, func.now()
    name = await _name(session, actor.id)
    await notify(
        session,
        handoff.tutor_id,
        "handoff",
        f"{name} asks for your help: {handoff.reason}",
        key=f"handoff:{handoff.id}:sent",
        link=f"/tutor/handoffs/{handoff.id}",
    )
    admission.adopt(await mark_stale(session, admission.settings, actor.id))
    await admission.commit()
    return handoff


async def decide(
    session: AsyncSession, actor: Actor, handoff_id: uuid.UUID, decision: str, note: str | None, day_timezone: str
) -> TutorHandoff:
    handoff = await handoff_for(session, actor, handoff_id)
    if handoff.owner_id == actor.id or handoff.organization_id is None:
        raise ServiceError(403, "a hand-off is decided by the tutor it was sent to")
    authorize_org(actor, handoff.organization_id, OrgResource.handoffs, Action.change, f"tutor hand-off {handoff_id}")
    status = DECISIONS[decision]
    allowed = {
        HandoffStatus.accepted: {HandoffStatus.sent},
        HandoffStatus.declined: {HandoffStatus.sent, HandoffStatus.accepted},
        HandoffStatus.resolved: {HandoffStatus.sent, HandoffStatus.accepted},
    }[status]
    if handoff.status not in allowed:
        raise ServiceError(409, f"this hand-off is {handoff.status}; it cannot be {status} now")
    if handoff.decided_at is not None:
        # Accepted earlier, resolved or declined now: the first answer keeps its time (time to
        # accept), and the day it counted on is counted again (analytics).
        answered = today_in(day_timezone, handoff.decided_at)
        await mark_dirty(session, handoff.owner_id, answered, today_in(day_timezone))
    handoff.status, handoff.tutor_note = status, note
    handoff.decided_at = handoff.decided_at or func.now()
    tutor = await _name(session, actor.id)
    await notify(
        session,
        handoff.owner_id,
        "handoff",
        f"{tutor} {status} your request for help" + (f": {note}" if note else "."),
        key=f"handoff:{handoff.id}:{status}",
        link=f"/handoffs/{handoff.id}",
    )
    await session.commit()
    return handoff


async def inbox(session: AsyncSession, actor: Actor, status: HandoffStatus | None) -> list[HandoffRow]:
    """What was sent to this tutor (an admin: to anyone in their organisation)."""
    if actor.organization_id is None:
        return []
    authorize_org(actor, actor.organization_id, OrgResource.handoffs, Action.read, "hand-offs")
    learner, tutor = User.__table__.alias("learner"), User.__table__.alias("tutor")
    query = (
        select(
            TutorHandoff,
            func.coalesce(learner.c.display_name, learner.c.clerk_id),
            func.coalesce(tutor.c.display_name, tutor.c.clerk_id),
            Organization.name,
        )
        .join(learner, learner.c.id == TutorHandoff.owner_id)
        .outerjoin(tutor, tutor.c.id == TutorHandoff.tutor_id)
        .join(Organization, Organization.id == TutorHandoff.organization_id)
        .where(TutorHandoff.organization_id == actor.organization_id, TutorHandoff.status != HandoffStatus.draft)
        .order_by(TutorHandoff.sent_at.desc())
        .limit(200)
    )
    if actor.role == Role.tutor:
        query = query.where(TutorHandoff.tutor_id == actor.id)
    if status is not None:
        query = query.where(TutorHandoff.status == status)
    return [HandoffRow(*row) for row in await session.execute(query)]


async def may_read_conversation(session: AsyncSession, actor: Actor, conversation_id: uuid.UUID) -> bool:
    """A tutor reads a learner's chat only when the learner sent them a hand-off from it (and
    still tutors them); an admin, one sent in their organisation."""
    handoff = await session.scalar(
        select(TutorHandoff).where(
            TutorHandoff.conversation_id == conversation_id,
            TutorHandoff.status != HandoffStatus.draft,
            TutorHandoff.organization_id == actor.organization_id,
        )
    )
    if handoff is None:
        return False
    if actor.role == Role.admin:
        return True
    return handoff.tutor_id == actor.id and await relation_to(session, actor, handoff.owner_id) == Relation.tutor


async def _name(session: AsyncSession, user_id: uuid.UUID) -> str:
    named = await session.execute(select(func.coalesce(User.display_name, User.clerk_id)).where(User.id == user_id))
    return named.scalar_one()
