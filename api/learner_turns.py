"""One person's requests take turns: at most LEARNER_REQUESTS_IN_FLIGHT of them are in progress at
once in this API process, and the rest wait, holding nothing, before they take a database
connection.

Why: a client that sends many requests at once for the same person makes them queue on that
person's own rows (their rate-limit bucket, quota counters, streak), each waiting request holding
a pooled connection. `make abuse` saw 2-3 s lock waits on one learner's bucket; with the pool held
by them, other learners' requests waited for a connection. In turns, one person's requests can
hold at most this many connections of a process. A request that waits longer than
LEARNER_QUEUE_SECONDS answers 429. The web app sends a handful at once (a page's reads), well
within the default. A request takes its turn with its person (`api.auth.current_user`); event
streams and the lean reads that need no person row take none; a request gives its turn back early
once its database work is done and it only waits (`Turn.leave`, through the admission)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from services.errors import ServiceError


@dataclass
class _Turns:
    free: asyncio.Semaphore
    holders: int = 0  # requests in progress or waiting: the entry goes when this is back to 0


@dataclass
class LearnerTurns:
    in_flight: int
    wait_seconds: float
    _people: dict[str, _Turns] = field(default_factory=dict)

    async def enter(self, person: str) -> Turn:
        turns = self._people.get(person)
        if turns is None:
            turns = self._people[person] = _Turns(asyncio.Semaphore(self.in_flight))
        turns.holders += 1
        try:
            async with asyncio.timeout(self.wait_seconds):
                await turns.free.acquire()
        except BaseException as error:  # timed out, or the client went away while waiting
            self._left(person, turns)
            if not isinstance(error, TimeoutError):
                raise
            raise ServiceError(
                429,
                f"too many requests at once for this account (at most {self.in_flight} in progress); "
                "retry when one has finished",
                headers={"Retry-After": "1"},
            ) from None
        return Turn(self, person)

    def _leave(self, person: str) -> None:
        turns = self._people[person]
        turns.free.release()
        self._left(person, turns)

    def _left(self, person: str, turns: _Turns) -> None:
        turns.holders -= 1
        if turns.holders == 0:
            del self._people[person]


@dataclass
class Turn:
    """One request's turn. Given back when the request ends, or earlier once its database work is
    done (a `?wait=true` question waiting on the model holds no connection, so no turn either)."""

    _turns: LearnerTurns
    _person: str
    _held: bool = True

    def leave(self) -> None:
        if self._held:
            self._held = False
            self._turns._leave(self._person)
