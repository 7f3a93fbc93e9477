"""Temporal workers: one per task queue, so interactive work has slots background work can't take.

Run with `python worker.py` or `studyflow worker`; settings point it at Postgres and Temporal.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import prometheus_client
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.analytics_activities import AnalyticsActivities
from activities.background_activities import BackgroundActivities
from activities.conversation_activities import ConversationActivities
from activities.course_activities import CourseActivities
from activities.embedders import build_embedder
from activities.grading.grading_activities import GradingActivities
from activities.indexing_activities import IndexingActivities
from activities.llm.gateway import LlmGateway
from activities.llm.ledger import LlmLedger
from activities.notes_activities import NotesActivities
from activities.notifiers import build_notifier
from activities.nudge_activities import NudgeActivities
from activities.organization_activities import OrganizationActivities
from activities.reconciler_activities import ReconcilerActivities
from activities.remediation_activities import RemediationActivities
from activities.session_activities import SessionActivities
from activities.sources.ingestion_activities import SourceIngestionActivities
from activities.study_content_activities import StudyContentActivities
from activities.suggestion_activities import SuggestionActivities
from activities.tutor_digest_activities import TutorDigestActivities
from activities.user_activities import UserActivities
from db.engine import create_engine, create_session_factory
from studyflow.logs import configure_logging, quiet_expected_retries
from studyflow.object_store import object_store_from
from studyflow.settings import Settings, get_settings
from studyflow.temporal_client import connect_when_up
from studyflow.tracing import install_tracer_provider, instrument_io
from workflows.analytics_rollup import AnalyticsRollupWorkflow
from workflows.assignment_fan_out import AssignmentFanOutWorkflow
from workflows.background_notes import BackgroundNotesDispatcherWorkflow
from workflows.conversation import ConversationWorkflow
from workflows.course_generation import CourseGenerationWorkflow
from workflows.engagement_nudges import EngagementNudgesWorkflow
from workflows.grading import GradingWorkflow
from workflows.learner_context import LearnerContextWorkflow
from workflows.reconciler import StuckRowReconcilerWorkflow
from workflows.remediation import RemediationWorkflow
from workflows.session_analysis import SessionAnalysisWorkflow
from workflows.source_ingestion import SourceIngestionWorkflow
from workflows.study_content import StudyContentWorkflow
from workflows.subject_suggestions import SubjectSuggestionsWorkflow
from workflows.topic_notes import TopicNotesWorkflow
from workflows.tutor_digest import TutorDigestWorkflow
from workflows.user_provisioning import UserProvisioningWorkflow

log = logging.getLogger("studyflow.worker")
CPU_QUEUE_SLOTS = 2
# The SDK's default buckets for task waits start at 100 ms; a goal of "p99 <= 100 ms" needs to
# see below it (issue 37), and so does an operator watching a worker fall behind.
TASK_WAIT_HISTOGRAMS = ("workflow_task_schedule_to_start_latency", "activity_schedule_to_start_latency")
TASK_WAIT_BUCKETS_MS = [1, 5, 10, 25, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000]

WORKFLOWS = [
    CourseGenerationWorkflow,
    TopicNotesWorkflow,
    StudyContentWorkflow,
    RemediationWorkflow,
    UserProvisioningWorkflow,
    EngagementNudgesWorkflow,
    BackgroundNotesDispatcherWorkflow,
    SourceIngestionWorkflow,
    ConversationWorkflow,
    StuckRowReconcilerWorkflow,
    SubjectSuggestionsWorkflow,
    AssignmentFanOutWorkflow,
    LearnerContextWorkflow,
    AnalyticsRollupWorkflow,
    SessionAnalysisWorkflow,
    GradingWorkflow,
    TutorDigestWorkflow,
]


@dataclass
class ActivitySet:
    course: CourseActivities
    notes: NotesActivities
    indexing: IndexingActivities
    study: StudyContentActivities
    remediation: RemediationActivities
    users: UserActivities
    nudges: NudgeActivities
    background: BackgroundActivities
    sources: SourceIngestionActivities
    conversations: ConversationActivities
    reconciler: ReconcilerActivities
    suggestions: SuggestionActivities
    organizations: OrganizationActivities
    analytics: AnalyticsActivities
    sessions: SessionActivities
    grading: GradingActivities
    digests: TutorDigestActivities

    def all(self) -> list:
        return [
            self.course.generate_outline,
            self.course.persist_outline,
            self.course.mark_course_ready,
            self.course.mark_course_failed,
            self.notes.generate_topic_notes,
            self.notes.mark_topic_failed,
            self.indexing.index_topic_notes,
            self.indexing.index_course_outline,
            self.study.begin_study_content,
            self.study.lookup_cache,
            self.study.serve_cached,
            self.study.retrieve_context,
            self.study.generate_study_content,
            self.study.store_in_cache,
            self.study.mark_study_content_failed,
            self.remediation.generate_remediation_plan,
            self.remediation.mark_remediation_failed,
            self.users.apply_clerk_event,
            self.users.cancel_user_workflows,
            self.users.erase_user_data,
            self.nudges.select_nudge_candidates,
            self.nudges.send_nudges,
            self.background.enqueue_course_notes,
            self.background.dispatch_background_topics,
            self.sources.prepare_source,
            self.sources.index_source_batch,
            self.sources.mark_source_ready,
            self.sources.mark_source_failed,
            self.conversations.answer_question,
            self.conversations.answer_and_judge,
            self.conversations.assess_tutor_need,
            self.conversations.mark_conversation_idle,
            self.reconciler.relay_workflow_starts,
            self.reconciler.repair_stuck_rows,
            self.suggestions.suggest_subjects,
            self.suggestions.suggest_from_history,
            self.organizations.fan_out_assignment,
            self.organizations.write_learner_context,
            self.analytics.plan_rollup,
            self.analytics.roll_day,
            self.sessions.read_session,
            self.sessions.index_session,
            self.sessions.analyse_window,
            self.sessions.persist_analysis,
            self.sessions.plan_practice,
            self.sessions.apply_mastery,
            self.sessions.assign_practice,
            self.sessions.finish_session,
            self.sessions.mark_session_failed,
            self.grading.grade_and_route,
            self.grading.record_review,
            self.grading.finalize_unreviewed,
            self.grading.complete_attempt_grading,
            self.digests.select_digest_tutors,
            self.digests.send_tutor_digests,
        ]

    def cpu_heavy(self) -> list:
        """What workflows schedule on the cpu queue (workflows/task_queues.py)."""
        return [
            self.sources.prepare_source,
            self.sources.index_source_batch,
            self.indexing.index_course_outline,
            self.indexing.index_topic_notes,
            self.sessions.index_session,
        ]


def build_activities(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], client: Client
) -> ActivitySet:
    ledger = LlmLedger(session_factory, settings.llm_prices, settings.day_timezone)
    llm = LlmGateway(settings, ledger)
    embedder = build_embedder(settings)
    # The local model takes seconds to import and load (torch, transformers): not on the first
    # learner's indexing call, and not while the bench measures the worker (py-spy showed it).
    embedder.preload()
    store = object_store_from(settings)
    notifier = build_notifier(settings)
    return ActivitySet(
        course=CourseActivities(settings, session_factory, llm),
        notes=NotesActivities(settings, session_factory, llm, embedder, client),
        indexing=IndexingActivities(session_factory, embedder),
        study=StudyContentActivities(settings, session_factory, llm, ledger, embedder),
        remediation=RemediationActivities(settings, session_factory, llm, embedder),
        users=UserActivities(session_factory, client),
        nudges=NudgeActivities(settings, session_factory, llm, notifier),
        background=BackgroundActivities(settings, session_factory, client),
        sources=SourceIngestionActivities(settings, session_factory, embedder, store),
        conversations=ConversationActivities(settings, session_factory, llm, embedder),
        reconciler=ReconcilerActivities(settings, session_factory, client, store),
        suggestions=SuggestionActivities(settings, session_factory, llm),
        organizations=OrganizationActivities(settings, session_factory, llm),
        analytics=AnalyticsActivities(session_factory),
        sessions=SessionActivities(settings, session_factory, llm, embedder, store, client),
        grading=GradingActivities(settings, session_factory, llm, embedder),
        digests=TutorDigestActivities(session_factory, notifier),
    )


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox still guards every call a workflow makes (clocks, I/O, randomness), but our own
    packages and the pydantic models of their contracts are imported once per process instead of
    once per workflow run: re-importing them was about a third of the worker's CPU under the
    course bench (`importlib` frames in py-spy). They are safe to share: no module-level state a
    workflow could mutate (constants and classes only)."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            "workflows", "studyflow", "activities", "db", "pydantic", "pydantic_core", "annotated_types"
        )
    )


def build_workers(client: Client, settings: Settings, activities: ActivitySet) -> list[Worker]:
    common: dict[str, Any] = dict(
        workflows=WORKFLOWS,
        activities=activities.all(),
        workflow_runner=workflow_runner(),
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_shutdown_grace_seconds),
    )
    slots = {
        "interactive": (settings.task_queue_interactive, settings.worker_interactive_slots),
        # The background generation cap plus a few for dispatching and nudges. Interactive work
        # has its own queue and slots, so a background backlog can never delay it.
        "background": (settings.task_queue_background, settings.background_global_concurrency + 4),
    }
    workers = [
        Worker(client, task_queue=slots[name][0], max_concurrent_activities=slots[name][1], **common)
        for name in dict.fromkeys(settings.worker_queues)
        if name in slots
    ]
    if "cpu" in settings.worker_queues:
        # Activities only: no workflow runs on this queue. Two slots: one batch reads its pages in
        # the reader process while another embeds (one model per process, one call at a time).
        workers.append(
            Worker(
                client,
                task_queue=settings.task_queue_cpu,
                activities=activities.cpu_heavy(),
                max_concurrent_activities=CPU_QUEUE_SLOTS,
                graceful_shutdown_timeout=timedelta(seconds=30),
            )
        )
    return workers


async def run_worker(settings: Settings) -> None:
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set (use `studyflow dev` for the embedded stack)")
    lower_cpu_priority(settings)
    engine = create_engine(settings.database_url)
    install_tracer_provider(settings, "studyflow-worker")
    instrument_io(settings, engine)
    client = await connect_when_up(settings, worker_runtime(settings))
    if settings.worker_metrics_port:
        prometheus_client.start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
    workers = build_workers(client, settings, build_activities(settings, create_session_factory(engine), client))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        for worker in workers:
            await stack.enter_async_context(worker)
        log.info("worker polling the %s queue(s)", " and ".join(settings.worker_queues))
        await stop.wait()
        log.info("worker shutting down: finishing in-flight activities")
    await engine.dispose()


def lower_cpu_priority(settings: Settings) -> None:
    """Below the interactive worker, the API, Temporal and PostgreSQL: embedding takes the CPU they
    leave idle, never the CPU a workflow task or a tutor answer is waiting for. Niceness, always;
    the idle class only when asked (`WORKER_CPU_IDLE_CLASS`): there it is preempted at once, but
    it gets almost nothing while another process holds every core, and the readers' wall-clock
    page timeouts would then skip pages. The reader processes and threads it starts later inherit
    both; threads already running are moved one by one (the class is per thread). A process that
    polls the interactive queue keeps its priority."""
    if not settings.serves_only_cpu_queue:
        return
    if settings.worker_cpu_nice:
        os.nice(settings.worker_cpu_nice)
        _lower_own_autogroup(settings.worker_cpu_nice)
    if not settings.worker_cpu_idle_class or not hasattr(os, "SCHED_IDLE"):
        return
    try:
        for thread in os.listdir("/proc/self/task"):
            os.sched_setscheduler(int(thread), os.SCHED_IDLE, os.sched_param(0))
    except OSError as error:  # a kernel or sandbox that refuses it: niceness is still there
        log.warning("could not move the cpu worker to the idle scheduling class: %s", error)


def _lower_own_autogroup(nice: int) -> None:
    """With autogroups on (Linux's default on desktops and these machines), niceness only ranks a
    process against its own session's processes; each session shares the CPU equally with the
    others. `make dev` starts every process in a session of its own, so a niced worker still took
    a full session's share against the API's and the interactive worker's (121 % of a core while
    the abuse run uploaded). The session's autogroup takes the niceness too, but only when the
    session is the worker's own: in a shared one (started from a terminal with the API) it would
    lower everything else in it."""
    if os.getsid(0) != os.getpid():
        return
    try:
        with open("/proc/self/autogroup", "w") as group:
            group.write(str(nice))
    except OSError as error:  # no autogroups in this kernel, or a sandbox that refuses it
        log.info("could not lower the cpu worker's autogroup: %s", error)


def worker_runtime(settings: Settings) -> Runtime | None:
    """The SDK's own metrics (task slots, schedule-to-start latency, activity failures) served
    for Prometheus by the SDK's runtime, when a port is set."""
    if not settings.temporal_metrics_port:
        return None
    prometheus = PrometheusConfig(
        bind_address=f"{settings.worker_metrics_host}:{settings.temporal_metrics_port}",
        histogram_bucket_overrides={name: TASK_WAIT_BUCKETS_MS for name in TASK_WAIT_HISTOGRAMS},
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    quiet_expected_retries()
    asyncio.run(run_worker(settings))


if __name__ == "__main__":
    main()
