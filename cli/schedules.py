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
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from studyflow import workflow_ids
from studyflow.contracts.workflow_inputs import AnalyticsRollupInput, NudgeRunInput, ReconcileInput, TutorDigestInput
from studyflow.settings import Settings
from studyflow.temporal_client import connect
from workflows.analytics_rollup import AnalyticsRollupWorkflow
from workflows.engagement_nudges import EngagementNudgesWorkflow
from workflows.reconciler import StuckRowReconcilerWorkflow
from workflows.tutor_digest import TutorDigestWorkflow

log = logging.getLogger("studyflow.schedules")


def _at_nudge_time(settings: Settings, temporal_weekday: int | None = None) -> ScheduleSpec:
    """NUDGE_HOUR:NUDGE_MINUTE in NUDGE_TIMEZONE, every day or on one (Temporal's count: 0 = Sunday)."""
    hour, minute = [ScheduleRange(settings.nudge_hour)], [ScheduleRange(settings.nudge_minute)]
    at = (
        ScheduleCalendarSpec(hour=hour, minute=minute)
        if temporal_weekday is None
        else ScheduleCalendarSpec(day_of_week=[ScheduleRange(temporal_weekday)], hour=hour, minute=minute)
    )
    return ScheduleSpec(calendars=[at], time_zone_name=settings.nudge_timezone)


def _nudge_policy(settings: Settings) -> SchedulePolicy:
    return SchedulePolicy(
        overlap=ScheduleOverlapPolicy.SKIP,
        catchup_window=timedelta(hours=settings.nudge_catchup_window_hours),
    )


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
        spec=_at_nudge_time(settings),
        policy=_nudge_policy(settings),
    )


def tutor_digest_schedule(settings: Settings) -> Schedule:
    """Weekly on TUTOR_DIGEST_WEEKDAY at the nudges' hour and zone (a tutor's morning)."""
    # Our setting counts from Monday (Python's weekday()); Temporal's day_of_week from Sunday.
    temporal_weekday = (settings.tutor_digest_weekday + 1) % 7
    return Schedule(
        action=ScheduleActionStartWorkflow(
            TutorDigestWorkflow.run,
            TutorDigestInput(
                timezone=settings.nudge_timezone,
                batch_size=settings.nudge_batch_size,
                batches_per_run=settings.nudge_batches_per_run,
                inactive_days=settings.nudge_inactive_days,
            ),
            id=workflow_ids.tutor_digest(),
            task_queue=settings.task_queue_background,
        ),
        spec=_at_nudge_time(settings, temporal_weekday),
        policy=_nudge_policy(settings),
    )


def reconcile_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            StuckRowReconcilerWorkflow.run,
            ReconcileInput(
                relay_after_seconds=settings.outbox_relay_after_seconds,
                relay_max_failures=settings.outbox_relay_max_failures,
                task_queues=[settings.task_queue_interactive, settings.task_queue_background],
                stuck_after_seconds=settings.reconcile_stuck_after_seconds,
                max_restarts=settings.reconcile_max_restarts,
            ),
            id=workflow_ids.stuck_row_reconciler(),
            task_queue=settings.task_queue_interactive,
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.reconcile_interval_seconds))]
        ),
        # A missed run is not worth catching up: the next one sees the same rows.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=1)),
    )


def analytics_input(settings: Settings, **given) -> AnalyticsRollupInput:
    return AnalyticsRollupInput(
        timezone=settings.day_timezone,
        settle_days=settings.analytics_settle_days,
        churn_days=settings.analytics_churn_days,
        **given,
    )


def analytics_schedule(settings: Settings) -> Schedule:
    """Nightly, after the day is over in DAY_TIMEZONE (the days are that zone's)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            AnalyticsRollupWorkflow.run,
            analytics_input(settings),
            id=workflow_ids.analytics_rollup(),
            task_queue=settings.task_queue_background,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(settings.analytics_hour)], minute=[ScheduleRange(settings.analytics_minute)]
                )
            ],
            time_zone_name=settings.day_timezone,
        ),
        # A run missed by more than a day is not caught up: the next one rolls the settle window,
        # and `studyflow analytics-backfill` any older gap.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=20)),
    )


async def upsert_schedules(client: Client, settings: Settings) -> list[str]:
    wanted = {
        settings.nudge_schedule_id: nudge_schedule(settings),
        settings.reconcile_schedule_id: reconcile_schedule(settings),
        settings.analytics_schedule_id: analytics_schedule(settings),
        settings.tutor_digest_schedule_id: tutor_digest_schedule(settings),
    }
    for schedule_id, schedule in wanted.items():
        await _upsert(client, schedule_id, schedule)
    return list(wanted)


async def _upsert(client: Client, schedule_id: str, schedule: Schedule) -> None:
    try:
        await client.create_schedule(schedule_id, schedule)
        log.info("created schedule %s", schedule_id)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(replace)
        log.info("updated schedule %s", schedule_id)


async def apply_schedules(settings: Settings) -> int:
    client = await connect(settings)
    for schedule_id in await upsert_schedules(client, settings):
        print(f"schedule {schedule_id}: applied")
    return 0
