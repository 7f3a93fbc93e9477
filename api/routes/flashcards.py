from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert

from api.deps import AdmissionDep, ClockDep, CurrentUserDep, SessionDep
from api.schemas.flashcards import CardDetail, DueCard, DueCards, NextDue, ReviewCreate, ReviewResult
from db.due_cards import due_cards_from
from db.models import FlashcardReview, FlashcardState
from db.user_counters import record_activity_day
from services.goal_completion import complete_reached_goals
from services.owned import owned_card
from studyflow import card_ids
from studyflow.local_day import today_in
from studyflow.spaced_repetition import preview, retrievability, review, state_name

router = APIRouter(prefix="/v1/flashcards", tags=["flashcards"])

_DUE = text(
    "SELECT sc.id AS content_id, co.id AS course_id, card.body ->> 'id' AS card_key, "
    "card.body ->> 'front' AS front, card.body ->> 'topic_id' AS topic_id, fs.due_at, fs.fsrs_card "
    + due_cards_from()
    + " ORDER BY fs.due_at ASC NULLS LAST, sc.created_at, card.position LIMIT :limit"
)
_DUE_COUNT = text("SELECT count(*) " + due_cards_from())


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
                card_id=card_ids.compose(r.content_id, r.card_key),
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
    clock: ClockDep,
) -> CardDetail:
    content, card = await owned_card(session, card_id, user)
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
        next_due=NextDue(**preview(state.fsrs_card if state else None, clock())),
    )


@router.post("/{card_id}/reviews", response_model=ReviewResult, status_code=201)
async def review_card(
    card_id: str,
    body: ReviewCreate,
    admission: AdmissionDep,
    clock: ClockDep,
) -> ReviewResult:
    session, user, settings = admission.session, admission.actor, admission.settings
    content, card = await owned_card(session, card_id, user)
    now: datetime = clock()
    # Create the state row if missing, then lock it: concurrent reviews of one card apply in turn.
    await session.execute(
        insert(FlashcardState)
        .values(user_id=user.id, study_content_id=content.id, card_key=card["id"], fsrs_card={}, due_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "study_content_id", "card_key"])
    )
    state = (
        await session.execute(
            select(FlashcardState)
            .where(
                FlashcardState.user_id == user.id,
                FlashcardState.study_content_id == content.id,
                FlashcardState.card_key == card["id"],
            )
            .with_for_update()
        )
    ).scalar_one()
    predicted = retrievability(state.fsrs_card or None, now)
    new_card, log = review(state.fsrs_card or None, body.rating, now)
    due_at = datetime.fromisoformat(new_card["due"])
    await session.execute(
        update(FlashcardState).where(FlashcardState.id == state.id).values(fsrs_card=new_card, due_at=due_at)
    )
    session.add(
        FlashcardReview(
            card_state_id=state.id, rating=body.rating, review_log=log, reviewed_at=now, retrievability=predicted
        )
    )
    today = today_in(settings.day_timezone, now)
    await record_activity_day(session, user.id, today, now)
    admission.adopt(await complete_reached_goals(session, settings, user, today, now))
    await admission.commit()
    return ReviewResult(
        card_id=card_id,
        rating=body.rating,
        state=state_name(new_card),
        due_at=due_at,
        stability=new_card.get("stability"),
        difficulty=new_card.get("difficulty"),
    )
