from __future__ import annotations

import json

from fastapi import APIRouter, Header, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.auth import current_user
from api.deps import PrincipalDep, SettingsDep

router = APIRouter(prefix="/v1/events", tags=["events"])

STREAM_DOC = """Server-Sent Events: the signed-in learner's status changes as they happen.

Events `course`, `topic`, `study_content`, `remediation`, `notification` carry
`{kind, id, course_id, status}`; `ready` opens the stream; `resync` means events may have been
missed, so re-read what is on screen. Send `Last-Event-ID` on reconnect to get the missed ones.
Comment lines are heartbeats."""


@router.get(
    "",
    response_class=EventSourceResponse,
    description=STREAM_DOC,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an endless event stream"}},
)
async def status_events(
    request: Request,
    principal: PrincipalDep,
    settings: SettingsDep,
    last_event_id: str | None = Header(default=None, max_length=64),
) -> EventSourceResponse:
    # The learner is looked up in a session of its own that ends before the stream starts: an
    # open stream holds no database connection (forty of them once held the pool for everyone).
    async with request.app.state.session_factory() as session:
        user = await current_user(principal, session)
    hub = request.app.state.event_hub
    queue = await hub.subscribe(user.id, last_event_id)

    async def stream():
        try:
            yield ServerSentEvent(event="ready", data="{}", retry=3000)
            while True:
                event = await queue.get()
                yield ServerSentEvent(event=event.kind, id=event.id or None, data=json.dumps(event.data))
        finally:
            hub.unsubscribe(user.id, queue)

    return EventSourceResponse(stream(), ping=settings.events_heartbeat_seconds)
