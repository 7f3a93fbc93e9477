"""Fetch a resource only if the signed-in learner owns it; anything else is 404 (no existence leak)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Conversation, Course, Goal, Source, StudyContent, SubjectSuggestion, Topic
from services.actor import Actor
from services.errors import ServiceError
from studyflow import card_ids
from studyflow.statuses import GenerationStatus, StudyContentType


async def owned_course(session: AsyncSession, course_id: uuid.UUID, user: Actor) -> Course:
    course = await session.scalar(select(Course).where(Course.id == course_id, Course.owner_id == user.id))
    if course is None:
        raise ServiceError(404, f"course {course_id} not found")
    return course


async def owned_topic(session: AsyncSession, topic_id: uuid.UUID, user: Actor) -> Topic:
    topic = await session.scalar(
        select(Topic).join(Course, Course.id == Topic.course_id).where(Topic.id == topic_id, Course.owner_id == user.id)
    )
    if topic is None:
        raise ServiceError(404, f"topic {topic_id} not found")
    return topic


async def owned_study_content(
    session: AsyncSession, content_id: uuid.UUID, user: Actor, *, kind: StudyContentType | None = None
) -> StudyContent:
    """`kind` narrows to flashcards or quiz: the other kind is as absent as a stranger's set."""
    query = (
        select(StudyContent)
        .join(Course, Course.id == StudyContent.course_id)
        .where(StudyContent.id == content_id, Course.owner_id == user.id)
    )
    if kind is not None:
        query = query.where(StudyContent.type == kind.value)
    content = await session.scalar(query)
    if content is None:
        raise ServiceError(404, f"{kind.value if kind else 'study content'} {content_id} not found")
    return content


async def owned_card(session: AsyncSession, card_id: str, user: Actor) -> tuple[StudyContent, dict]:
    """A card of one of the learner's completed flashcard sets, with the set it lives in."""
    parts = card_ids.split(card_id)
    content = None
    if parts is not None:
        content = await session.scalar(
            select(StudyContent)
            .join(Course, Course.id == StudyContent.course_id)
            .where(
                StudyContent.id == parts[0],
                StudyContent.type == "flashcards",
                StudyContent.status == GenerationStatus.completed,
                Course.owner_id == user.id,
            )
        )
    cards = (content.payload or {}).get("cards", []) if content is not None else []
    card = next((c for c in cards if c["id"] == parts[1]), None) if parts else None
    if content is None or card is None:
        raise ServiceError(404, f"flashcard {card_id} not found")
    return content, card


async def owned_source(session: AsyncSession, source_id: uuid.UUID, user: Actor) -> Source:
    source = await session.scalar(select(Source).where(Source.id == source_id, Source.owner_id == user.id))
    if source is None:
        raise ServiceError(404, f"source {source_id} not found")
    return source


async def owned_conversation(session: AsyncSession, conversation_id: uuid.UUID, user: Actor) -> Conversation:
    conversation = await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, Conversation.owner_id == user.id)
    )
    if conversation is None:
        raise ServiceError(404, f"conversation {conversation_id} not found")
    return conversation


async def owned_goal(session: AsyncSession, goal_id: uuid.UUID, user: Actor, *, lock: bool = False) -> Goal:
    query = select(Goal).where(Goal.id == goal_id, Goal.user_id == user.id)
    goal = await session.scalar(query.with_for_update() if lock else query)
    if goal is None:
        raise ServiceError(404, f"goal {goal_id} not found")
    return goal


async def owned_suggestion(
    session: AsyncSession, suggestion_id: uuid.UUID, user: Actor, *, lock: bool = False
) -> SubjectSuggestion:
    query = select(SubjectSuggestion).where(SubjectSuggestion.id == suggestion_id, SubjectSuggestion.user_id == user.id)
    suggestion = await session.scalar(query.with_for_update() if lock else query)
    if suggestion is None:
        raise ServiceError(404, f"suggestion {suggestion_id} not found")
    return suggestion
