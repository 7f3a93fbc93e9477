"""Where one tutor answer's time went, from the conversation workflow's own history: each workflow
task's wait for a poller and its run, and the answer activity's wait and run. The abuse run prints
it for the bystanders' slowest answer, so a slow p99 names its stage instead of a bare number."""

from __future__ import annotations

from datetime import datetime

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client


def _at(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime()


def _ms(start: HistoryEvent, end: HistoryEvent) -> float:
    return (_at(end) - _at(start)).total_seconds() * 1000


async def answer_timeline(client: Client, workflow_id: str, request_id: str) -> list[str]:
    """The stages of the answer to `request_id`: the workflow task that took the update, the
    activity that answered, and the workflow task that returned the reply."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    events = list(history.events)
    needle = request_id.encode()
    accepted = next(
        (
            e
            for e in events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            and any(
                needle in p.data
                for p in e.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads
            )
        ),
        None,
    )
    if accepted is None:
        return [f"no update for {request_id} in {workflow_id}'s history (continued as new?)"]
    index = events.index(accepted)
    # The workflow task that accepted the update is the last one started before the acceptance.
    started = next(e for e in reversed(events[:index]) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
    scheduled = next(
        e for e in events if e.event_id == started.workflow_task_started_event_attributes.scheduled_event_id
    )
    waited, ran = _ms(scheduled, started), _ms(started, accepted)
    lines = [f"workflow task (takes the question): waited {waited:.0f} ms, ran {ran:.0f} ms"]
    activity = next((e for e in events[index:] if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), None)
    if activity is None:
        return [*lines, "no activity was scheduled after it"]
    kind = activity.activity_task_scheduled_event_attributes.activity_type.name
    activity_started = next(
        (
            e
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
            and e.activity_task_started_event_attributes.scheduled_event_id == activity.event_id
        ),
        None,
    )
    closed = next(
        (
            e
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            and e.activity_task_completed_event_attributes.scheduled_event_id == activity.event_id
        ),
        None,
    )
    if activity_started is None or closed is None:
        return [*lines, f"activity {kind}: did not complete"]
    # Started events are written when the activity closes; its attempt count says how many tries.
    attempts = activity_started.activity_task_started_event_attributes.attempt
    lines.append(
        f"activity {kind}: scheduled→closed {_ms(activity, closed):.0f} ms ({attempts} attempt(s); "
        f"last started {_ms(activity, activity_started):.0f} ms after scheduling)"
    )
    after = events[events.index(closed) :]
    reply_scheduled = next((e for e in after if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED), None)
    reply_started = next((e for e in after if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED), None)
    completed = next(
        (e for e in after if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED), None
    )
    if reply_scheduled and reply_started and completed:
        lines.append(
            f"workflow task (returns the reply): scheduled {_ms(closed, reply_scheduled):.0f} ms after the "
            f"activity closed, waited {_ms(reply_scheduled, reply_started):.0f} ms, "
            f"ran {_ms(reply_started, completed):.0f} ms"
        )
    lines.append(
        f"in the history: {_ms(scheduled, completed or closed):.0f} ms from the question's workflow task to the reply"
    )
    return lines
