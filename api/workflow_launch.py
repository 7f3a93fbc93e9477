"""Starting the workflow a route recorded with its row (see studyflow.workflow_outbox)."""

from __future__ import annotations

import logging
import os
import signal

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from db.models import WorkflowStart
from studyflow.settings import Settings
from studyflow.workflow_outbox import mark_started, start_recorded

log = logging.getLogger("studyflow.api.workflow_launch")


class WorkflowNotStarted(Exception):
    """Temporal refused or did not answer: the route undoes its row and answers 503."""


async def launch(session: AsyncSession, temporal: Client, settings: Settings, record: WorkflowStart) -> None:
    """Call after the commit that wrote the row and the record."""
    if settings.fault_kill_api_after_commit:
        # Tests only: the API dying between commit and start, which the relay must repair.
        os.kill(os.getpid(), signal.SIGKILL)
    try:
        await start_recorded(temporal, record)
    except Exception as exc:
        log.error("could not start %s: %s", record.workflow_id, exc)
        raise WorkflowNotStarted(str(exc)) from exc
    try:
        await mark_started(session, record.workflow_id)
        await session.commit()
    except Exception as exc:  # the workflow runs; the relay will see that and mark the record
        log.warning("started %s but could not mark it: %s", record.workflow_id, exc)
        await session.rollback()
