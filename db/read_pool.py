"""The pool the polled reads run on: psycopg's own, without SQLAlchemy in between.

A polled read is one statement (api/learner_read.py), so the engine's work per call (a greenlet
switch, the pool's reset-on-return, result wrapping) was pure overhead: ~300 µs of CPU per read
in isolation, and under the course bench at concurrency 16 the API's CPU per GET fell from
1.9 to 0.8 ms without it. Statements are still written as SQLAlchemy `text()` (they share
fragments with the ORM side) and compiled once to psycopg's `%(name)s` form.

Autocommit: a read is its one round trip, no BEGIN before it and no ROLLBACK after. The pool
opens up to `size` connections as the load asks and never more: a read waits a moment for a
connection rather than opening one it closes again; it starts with a few, so an idle process (or
a test's) holds little."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

from db.engine import libpq_url

_DIALECT = psycopg_dialect.dialect()
READ_CONNECTION_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class PolledRead:
    """A named statement as psycopg runs it: `:name` → `%(name)s`, a literal `%` doubled."""

    name: str
    sql: str

    @classmethod
    def of(cls, name: str, sql: str) -> PolledRead:
        """`sql` as SQLAlchemy's `text()` reads it: `:name` parameters, `CAST(:x AS t)` casts."""
        return cls(name, str(text(sql).compile(dialect=_DIALECT)))


def create_read_pool(database_url: str, size: int) -> AsyncConnectionPool:
    """Opened by the caller (`await pool.open()`), closed with `await pool.close()`."""
    return AsyncConnectionPool(
        libpq_url(database_url),
        min_size=min(size, 4),
        max_size=size,
        kwargs={"autocommit": True, "row_factory": dict_row},
        # A read that gets no connection in this time answers 503 (api/errors.py): the database
        # is down, or so busy that waiting longer would not help the poller.
        timeout=READ_CONNECTION_WAIT_SECONDS,
        open=False,
        name="polled-reads",
    )
