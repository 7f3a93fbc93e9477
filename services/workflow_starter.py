"""Making the starts a transaction recorded, after it committed: the API does it once its answer
is sent, an activity right after its commit. One error policy everywhere: a start that fails is
logged in one line and left to the reconciler's relay (the record stays unstarted), never
undone on the spot — the learner was already told the work is accepted, and a Temporal that is
restarting will take it a minute later."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from db.models import WorkflowStart
from services.outbox import mark_started, start_recorded

log = logging.getLogger("studyflow.starts")


class WorkflowStarter:
    def __init__(self, client: Callable[[], Awaitable[Client]], sessions: async_sessionmaker[AsyncSession]):
        self._client = client
        self._sessions = sessions

    @classmethod
    def with_client(cls, client: Client, sessions: async_sessionmaker[AsyncSession]) -> WorkflowStarter:
        async def connected() -> Client:
            return client

        return cls(connected, sessions)

    async def start(self, records: Sequence[WorkflowStart]) -> None:
        for record in records:
            try:
                await start_recorded(await self._client(), record)
            except Exception as exc:  # noqa: BLE001 - any failure is the relay's to repair
                log.warning("%s not started now (%s); the relay will start it", record.workflow_id, _first_line(exc))
                continue
            try:
                async with self._sessions.begin() as session:
                    await mark_started(session, record.workflow_id)
            except Exception as exc:  # noqa: BLE001 - it runs; the relay will see that and mark it
                log.warning("%s started but not marked (%s)", record.workflow_id, _first_line(exc))


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
