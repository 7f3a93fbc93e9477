"""FSRS scheduling for flashcards (py-fsrs): pure functions over the stored card state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from fsrs import Card, Rating, Scheduler
from fsrs.card import CardDict
from fsrs.review_log import ReviewLogDict

RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
STATES = {1: "learning", 2: "review", 3: "relearning"}


@lru_cache(maxsize=1)
def scheduler() -> Scheduler:
    return Scheduler()


def _card(stored: dict) -> Card:
    # What Card.to_dict() wrote, read back from a JSON column.
    return Card.from_dict(cast(CardDict, stored))


def review(stored: dict | None, rating: str, at: datetime) -> tuple[CardDict, ReviewLogDict]:
    """Apply one review; returns (new card state, review log) as JSON-ready dicts."""
    card = _card(stored) if stored else Card(due=at)
    card, log = scheduler().review_card(card, RATINGS[rating], at)
    return card.to_dict(), log.to_dict()


def retrievability(stored: dict | None, at: datetime) -> float | None:
    """FSRS's predicted probability that the learner recalls the card at `at`, before the review;
    None for a card never reviewed (there is nothing to predict from)."""
    if not stored or not stored.get("last_review"):
        return None
    return scheduler().get_card_retrievability(_card(stored), at)


def state_name(stored: Mapping[str, Any] | None) -> str:
    state = stored.get("state") if stored else None
    return STATES.get(state, "new") if state is not None else "new"


def preview(stored: dict | None, at: datetime) -> dict[str, datetime]:
    """When the card would next be due after each rating now: what the rating buttons show."""
    card = _card(stored) if stored else Card(due=at)
    return {name: scheduler().review_card(card, rating, at)[0].due for name, rating in RATINGS.items()}
