"""Admitting work: the one path every request that starts a workflow takes.

A service checks the learner's LLM allowance and daily quota, writes its rows and records the
workflow starts — all in the request's one transaction — then `commit()` makes it durable and
hands the recorded starts to `after_commit` (the API schedules them after its answer is sent, so
a POST never waits on Temporal). Nothing is half-written: a refusal raises before the commit and
the transaction rolls back with everything it took; a start that cannot be made is the relay's,
and if it can never be made, the subject is undone the one way (services/undo.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WorkflowStart
from db.user_counters import consume_course_quota, consume_study_content_quota
from services import llm_allowance
from services.actor import Actor
from services.errors import ServiceError
from services.llm_allowance import Allowance, LlmWork
from services.outbox import StartRequest, record_start
from studyflow.local_day import seconds_until_tomorrow, today_in
from studyflow.settings import Settings

AfterCommit = Callable[[Sequence[WorkflowStart]], None]


class Admission:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        actor: Actor,
        after_commit: AfterCommit,
        now: datetime | None = None,
        database_done: Callable[[], None] = lambda: None,
    ):
        self.session = session
        self.settings = settings
        self.actor = actor
        self._after_commit = after_commit
        self._now = now
        self._records: list[WorkflowStart] = []
        self._database_done = database_done

    @property
    def today(self) -> date:
        return today_in(self.settings.day_timezone, self._now)

    async def allow_llm(self, work: LlmWork, *, per: uuid.UUID | None = None) -> Allowance:
        return await llm_allowance.allow(self.session, self.settings, self.actor, work, per=per, now=self._now)

    async def refusal_now(self, work: LlmWork) -> ServiceError | None:
        """What `allow_llm` would refuse now for the rate alone, taking nothing (see llm_allowance)."""
        return await llm_allowance.refusal_now(self.session, self.settings, self.actor, work)

    async def take_course_quota(self) -> None:
        limit = self.settings.courses_per_day(self.actor.plan)
        if not await consume_course_quota(self.session, self.actor.id, self.today, limit):
            raise self._over_daily("course", limit)

    async def take_study_content_quota(self) -> None:
        limit = self.settings.study_content_per_day(self.actor.plan)
        if not await consume_study_content_quota(self.session, self.actor.id, self.today, limit):
            raise self._over_daily("study-content", limit)

    def _over_daily(self, what: str, limit: int) -> ServiceError:
        return ServiceError(
            429,
            f"daily {what} limit reached: {limit} per day on the {self.actor.plan} plan",
            headers={"Retry-After": str(seconds_until_tomorrow(self.settings.day_timezone))},
        )

    async def record(self, request: StartRequest) -> None:
        self._records.append(await record_start(self.session, request))

    def adopt(self, records: Sequence[WorkflowStart]) -> None:
        """Starts recorded by a helper in this transaction (goal completion)."""
        self._records.extend(records)

    async def commit(self) -> None:
        await self.session.commit()
        records, self._records = self._records, []
        if records:
            self._after_commit(records)

    def done_with_database(self) -> None:
        """Committed, and only waiting from here on (on Temporal, on the model): the person's
        turn (api/learner_turns.py) goes back at once, not when the answer is sent."""
        self._database_done()

    async def rollback(self) -> None:
        self._records = []
        await self.session.rollback()
