"""Request-scoped dependencies: DB session, signed-in learner, Temporal client, settings, clock.

Every one is `async def`, even those that only read app state: FastAPI runs a plain `def`
dependency in its thread pool, a hand-off to a thread and back on every request that costs more
CPU than the dependency itself (`bench/refusal_bench.py`).

Routes declare them through the `Annotated` aliases at the bottom (`session: SessionDep`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import CurrentUser, Principal, current_principal, current_user, learner_turn
from api.db_session import get_session
from api.errors import ApiError
from api.learner_turns import Turn
from services.admission import Admission
from services.workflow_starter import WorkflowStarter
from studyflow.object_store import ObjectStore
from studyflow.settings import Settings


async def get_temporal(request: Request) -> Client:
    try:
        return await request.app.state.temporal.get()
    except Exception as exc:  # connection refused, DNS, TLS: all mean "orchestration unavailable"
        raise ApiError(503, "workflow service unavailable, try again shortly") from exc


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_object_store(request: Request) -> ObjectStore:
    return request.app.state.object_store


Clock = Callable[[], datetime]


async def get_clock(request: Request) -> Clock:
    """The API's notion of "now" (spaced-repetition schedules); tests substitute their own."""
    return request.app.state.clock


async def get_admission(
    request: Request,
    background: BackgroundTasks,
    user: Annotated[CurrentUser, Depends(current_user)],
    session: Annotated[AsyncSession, Depends(get_session)],
    turn: Annotated[Turn, Depends(learner_turn)],
) -> Admission:
    """The request's admission of work: what it records is started once the answer is sent."""
    starter: WorkflowStarter = request.app.state.workflow_starter
    return Admission(
        session,
        request.app.state.settings,
        user,
        after_commit=lambda records: background.add_task(starter.start, records),
        now=request.app.state.clock(),
        database_done=turn.leave,
    )


SessionDep = Annotated[AsyncSession, Depends(get_session)]
CurrentUserDep = Annotated[CurrentUser, Depends(current_user)]
# The verified token alone, for a read that looks the learner up in its own query (api/learner_read.py).
PrincipalDep = Annotated[Principal, Depends(current_principal)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
ObjectStoreDep = Annotated[ObjectStore, Depends(get_object_store)]
AdmissionDep = Annotated[Admission, Depends(get_admission)]
