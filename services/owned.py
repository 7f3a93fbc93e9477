"""A resource with the check of who may act on it (services/policy.py): the row is found whoever
owns it, then the actor's relation to its owner decides — 404 when they may not know it exists,
403 when they may know but not act. `action` defaults to change (the owner's alone)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Conversation, Course, Goal, Source, StudyContent, SubjectSuggestion, Topic
from services.actor import Actor
from services.errors import ServiceError
from services.handoffs import may_read_conversation
from services.policy import Action, LearnerData, authorize
from studyflow import card_ids
from studyflow.statuses import GenerationStatus, StudyContentType


async def owned_course(
    session: AsyncSession, course_id: uuid.UUID, user: Actor, action: Action = Action.change
) -> Course:
    course = await session.scalar(select(Course).where(Course.id == course_id))
    what = f"course {course_id}"
    if course is None:
        raise ServiceError(404, f"{what} not found")
    await authorize(session, user, course.owner_id, LearnerData.course, action, what, course_id=course.id)
    return course


async def owned_topic(session: AsyncSession, topic_id: uuid.UUID, user: Actor, action: Action = Action.change) -> Topic:
    found = (
        await session.execute(
            select(Topic, Course.owner_id).join(Course, Course.id == Topic.course_id).where(Topic.id == topic_id)
        )
    ).first()
    what = f"topic {topic_id}"
    if found is None:
        raise ServiceError(404, f"{what} not found")
    topic, owner_id = found
    await authorize(session, user, owner_id, LearnerData.course, action, what, course_id=topic.course_id)
    return topic


async def owned_study_content(
    session: AsyncSession,
    content_id: uuid.UUID,
    user: Actor,
    *,
    kind: StudyContentType | None = None,
    action: Action = Action.change,
) -> StudyContent:
    """`kind` narrows to flashcards or quiz: the other kind is as absent as a stranger's set."""
    query = (
        select(StudyContent, Course.owner_id)
        .join(Course, Course.id == StudyContent.course_id)
        .where(StudyContent.id == content_id)
    )
    if kind is not None:
        query = query.where(StudyContent.type == kind.value)
    found = (await session.execute(query)).first()
    what = f"{kind.value if kind else 'study content'} {content_id}"
    if found is None:
        raise ServiceError(404, f"{what} not found")
    content, owner_id = found
    await authorize(session, user, owner_id, LearnerData.course, action, what, course_id=content.course_id)
    return content


async def owned_card(
    session: AsyncSession, card_id: str, user: Actor, action: Action = Action.study
) -> tuple[StudyContent, dict]:
    """A card of a completed flashcard set the actor may study, with the set it lives in."""
    parts = card_ids.split(card_id)
    what = f"flashcard {card_id}"
    if parts is None:
        raise ServiceError(404, f"{what} not found")
    content = await owned_study_content(session, parts[0], user, kind=StudyContentType.flashcards, action=action)
    cards = (content.payload or {}).get("cards", []) if content.status == GenerationStatus.completed else []
    card = next((c for c in cards if c["id"] == parts[1]), None)
    if card is None:
        raise ServiceError(404, f"{what} not found")
    return content, card


async def owned_source(
    session: AsyncSession, source_id: uuid.UUID, user: Actor, action: Action = Action.change
) -> Source:
    source = await session.scalar(select(Source).where(Source.id == source_id))
    what = f"source {source_id}"
    if source is None:
        raise ServiceError(404, f"{what} not found")
    await authorize(session, user, source.owner_id, LearnerData.source, action, what)
    return source


async def owned_conversation(
    session: AsyncSession, conversation_id: uuid.UUID, user: Actor, action: Action = Action.change
) -> Conversation:
    conversation = await session.scalar(select(Conversation).where(Conversation.id == conversation_id))
    what = f"conversation {conversation_id}"
    if conversation is None:
        raise ServiceError(404, f"{what} not found")
    try:
        await authorize(session, user, conversation.owner_id, LearnerData.conversation, action, what)
    except ServiceError:
        # A chat is the learner's alone, unless they sent a hand-off from it to this tutor.
        if action != Action.read or not await may_read_conversation(session, user, conversation.id):
            raise
    return conversation


async def owned_goal(
    session: AsyncSession, goal_id: uuid.UUID, user: Actor, *, lock: bool = False, action: Action = Action.change
) -> Goal:
    query = select(Goal).where(Goal.id == goal_id)
    goal = await session.scalar(query.with_for_update() if lock else query)
    what = f"goal {goal_id}"
    if goal is None:
        raise ServiceError(404, f"{what} not found")
    await authorize(session, user, goal.user_id, LearnerData.goal, action, what)
    return goal


async def owned_suggestion(
    session: AsyncSession, suggestion_id: uuid.UUID, user: Actor, *, lock: bool = False, action: Action = Action.change
) -> SubjectSuggestion:
    query = select(SubjectSuggestion).where(SubjectSuggestion.id == suggestion_id)
    suggestion = await session.scalar(query.with_for_update() if lock else query)
    what = f"suggestion {suggestion_id}"
    if suggestion is None:
        raise ServiceError(404, f"{what} not found")
    await authorize(session, user, suggestion.user_id, LearnerData.suggestion, action, what)
    return suggestion
