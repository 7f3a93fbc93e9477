from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Query
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import CurrentUser
from api.deps import ClockDep, CurrentUserDep, SessionDep, SettingsDep
from api.errors import ApiError
from api.schemas.flashcards import CardDetail, DueCard, DueCards, ReviewCreate, ReviewResult
from db.models import Course, FlashcardReview, FlashcardState, StudyContent
from db.user_counters import record_activity_day
from studyflow.local_day import today_in
from studyflow.spaced_repetition import review, state_name

router = APIRouter(prefix="/v1/flashcards", tags=["flashcards"])

# Every card of the learner's completed sets, with its schedule (none yet: a new card, due now).
_CARDS = """
    FROM study_contents sc
    JOIN courses co ON co.id = sc.course_id
    CROSS JOIN LATERAL jsonb_array_elements(sc.payload -> 'cards') WITH ORDINALITY AS card(body, position)
    LEFT JOIN flashcard_states fs
      ON fs.user_id = :user_id AND fs.study_content_id = sc.id AND fs.card_key = card.body ->> 'id'
    WHERE co.owner_id = :user_id AND sc.type = 'flashcards' AND sc.status = 'completed'
      AND (fs.due_at IS NULL OR fs.due_at <= :now)
"""
_DUE = text(
    "SELECT sc.id AS content_id, co.id AS course_id, card.body ->> 'id' AS card_key, "
    "card.body ->> 'front' AS front, card.body ->> 'topic_id' AS topic_id, fs.due_at, fs.fsrs_card "
    + _CARDS
    + " ORDER BY fs.due_at ASC NULLS LAST, sc.created_at, card.position LIMIT :limit"
)
_DUE_COUNT = text("SELECT count(*) " + _CARDS)


def _card_id(content_id: uuid.UUID | str, card_key: str) -> str:
    return f"{content_id}.{card_key}"


def _parse(card_id: str) -> tuple[uuid.UUID, str]:
    content, _, key = card_id.partition(".")
    try:
        return uuid.UUID(content), key
    except ValueError:
        raise ApiError(404, f"flashcard {card_id} not found") from None


async def _owned_card(session: AsyncSession, user: CurrentUser, card_id: str) -> tuple[StudyContent, dict]:
    content_id, key = _parse(card_id)
    content = await session.scalar(
        select(StudyContent)
        .join(Course, Course.id == StudyContent.course_id)
        .where(
            StudyContent.id == content_id,
            StudyContent.type == "flashcards",
            StudyContent.status == "completed",
            Course.owner_id == user.id,
        )
    )
    card = next((c for c in ((content.payload or {}).get("cards", []) if content else []) if c["id"] == key), None)
    if content is None or card is None:
        raise ApiError(404, f"flashcard {card_id} not found")
    return content, card


@router.get("/due", response_model=DueCards)
async def due_cards(
    *,
    limit: int = Query(20, ge=1, le=200),
    user: CurrentUserDep,
    session: SessionDep,
    clock: ClockDep,
) -> DueCards:
    params = {"user_id": user.id, "now": clock()}
    rows = (await session.execute(_DUE, {**params, "limit": limit})).all()
    total = await session.scalar(_DUE_COUNT, params)
    return DueCards(
        cards=[
            DueCard(
                card_id=_card_id(r.content_id, r.card_key),
                front=r.front,
                course_id=r.course_id,
                topic_id=r.topic_id,
                state=state_name(r.fsrs_card),
                due_at=r.due_at,
            )
            for r in rows
        ],
        total_due=total or 0,
    )


@router.get("/{card_id}", response_model=CardDetail)
async def reveal_card(
    card_id: str,
    user: CurrentUserDep,
    session: SessionDep,
) -> CardDetail:
    content, card = await _owned_card(session, user, card_id)
    state = await session.scalar(
        select(FlashcardState).where(
            FlashcardState.user_id == user.id,
            FlashcardState.study_content_id == content.id,
            FlashcardState.card_key == card["id"],
        )
    )
    return CardDetail(
        card_id=card_id,
        front=card["front"],
        back=card["back"],
        course_id=content.course_id,
        topic_id=card.get("topic_id"),
        state=state_name(state.fsrs_card if state else None),
        due_at=state.due_at if state else None,
    )


@router.post("/{card_id}/reviews", response_model=ReviewResult, status_code=201)
async def review_card(
    card_id: str,
    body: ReviewCreate,
    user: CurrentUserDep,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> ReviewResult:
    content, card = await _owned_card(session, user, card_id)
    now: datetime = clock()
    # Create the state row if missing, then lock it: concurrent reviews of one card apply in turn.
    await session.execute(
        insert(FlashcardState)
        .values(user_id=user.id, study_content_id=content.id, card_key=card["id"], fsrs_card={}, due_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "study_content_id", "card_key"])
    )
    state = await session.scalar(
        select(FlashcardState)
        .where(
            FlashcardState.user_id == user.id,
            FlashcardState.study_content_id == content.id,
            FlashcardState.card_key == card["id"],
        )
        .with_for_update()
    )
    new_card, log = review(state.fsrs_card or None, body.rating, now)
    due_at = datetime.fromisoformat(new_card["due"])
    await session.execute(
        update(FlashcardState).where(FlashcardState.id == state.id).values(fsrs_card=new_card, due_at=due_at)
    )
    session.add(FlashcardReview(card_state_id=state.id, rating=body.rating, review_log=log, reviewed_at=now))
    await record_activity_day(session, user.id, today_in(settings.day_timezone, now))
    await session.commit()
    return ReviewResult(
        card_id=card_id,
        rating=body.rating,
        state=state_name(new_card),
        due_at=due_at,
        stability=new_card.get("stability"),
        difficulty=new_card.get("difficulty"),
    )
