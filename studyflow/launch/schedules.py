"""Temporal Schedules the product runs, created or updated idempotently (`studyflow apply-schedules`,
run by `make dev` and at deploy): applying twice leaves one schedule with the latest spec."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from studyflow import workflow_ids
from studyflow.contracts.workflow_inputs import NudgeRunInput
from studyflow.settings import Settings
from studyflow.temporal_client import connect
from workflows.engagement_nudges import EngagementNudgesWorkflow

log = logging.getLogger("studyflow.schedules")


def nudge_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            EngagementNudgesWorkflow.run,
            NudgeRunInput(
                timezone=settings.nudge_timezone,
                batch_size=settings.nudge_batch_size,
                batches_per_run=settings.nudge_batches_per_run,
                heartbeat_seconds=settings.llm_heartbeat_timeout_seconds,
            ),
            id=workflow_ids.engagement_nudges(),
            task_queue=settings.task_queue_background,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(settings.nudge_hour)], minute=[ScheduleRange(settings.nudge_minute)]
                )
            ],
            time_zone_name=settings.nudge_timezone,
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP,
            catchup_window=timedelta(hours=settings.nudge_catchup_window_hours),
        ),
    )


async def upsert_schedules(client: Client, settings: Settings) -> list[str]:
    schedule = nudge_schedule(settings)
    try:
        await client.create_schedule(settings.nudge_schedule_id, schedule)
        log.info("created schedule %s", settings.nudge_schedule_id)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(settings.nudge_schedule_id).update(replace)
        log.info("updated schedule %s", settings.nudge_schedule_id)
    return [settings.nudge_schedule_id]


async def apply_schedules(settings: Settings) -> int:
    client = await connect(settings)
    for schedule_id in await upsert_schedules(client, settings):
        print(f"schedule {schedule_id}: applied")
    return 0
