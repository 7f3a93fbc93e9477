from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import APIRouter, Header, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from api.auth import user_of
from api.deps import PrincipalDep, SettingsDep
from api.openapi_errors import RATE_LIMITED

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
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "an endless event stream"},
        **RATE_LIMITED,  # too many open streams (per learner, per server)
    },
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
        user = await user_of(principal, session)
    hub = request.app.state.event_hub
    # 429 beyond the learner's (and the process's) number of open streams.
    queue = await hub.subscribe(user.id, last_event_id)

    async def stream():
        yield ServerSentEvent(event="ready", data="{}", retry=3000)
        while True:
            event = await queue.get()
            yield ServerSentEvent(event=event.kind, id=event.id or None, data=json.dumps(event.data))

    return _StreamResponse(
        stream(), ping=settings.events_heartbeat_seconds, release=lambda: hub.unsubscribe(user.id, queue)
    )


class _StreamResponse(EventSourceResponse):
    """Gives the stream's place back however the response ends: a client that disconnects before
    the first event never runs the generator, so its own `finally` could not be relied on."""

    def __init__(self, *args, release: Callable[[], None], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()
