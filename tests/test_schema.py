"""The migration-created schema enforces SPEC §3's unique constraints and pgvector indexes."""

from __future__ import annotations

import uuid
from datetime import date

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db import migrate
from tests.conftest import _with_database


async def _exec(session_factory, sql: str, **params):
    async with session_factory.begin() as session:
        return await session.execute(text(sql), params)


async def _user(session_factory) -> uuid.UUID:
    result = await _exec(
        session_factory, "INSERT INTO users (clerk_id) VALUES (:c) RETURNING id", c=f"u_{uuid.uuid4().hex}"
    )
    return result.scalar_one()


async def _course(session_factory, owner: uuid.UUID) -> uuid.UUID:
    result = await _exec(
        session_factory,
        "INSERT INTO courses (owner_id, topic, course_type, difficulty) "
        "VALUES (:o, 'SQL joins', 'practical', 'beginner') RETURNING id",
        o=owner,
    )
    return result.scalar_one()


async def _assert_duplicate_rejected(session_factory, sql: str, **params) -> None:
    await _exec(session_factory, sql, **params)
    with pytest.raises(IntegrityError, match="unique|duplicate"):
        await _exec(session_factory, sql, **params)


async def test_users_clerk_id_is_unique(session_factory):
    await _assert_duplicate_rejected(
        session_factory, "INSERT INTO users (clerk_id) VALUES (:c)", c=f"dup_{uuid.uuid4().hex}"
    )


async def test_one_study_content_per_course_and_type(session_factory):
    course = await _course(session_factory, await _user(session_factory))
    await _assert_duplicate_rejected(
        session_factory, "INSERT INTO study_contents (course_id, type) VALUES (:c, 'quiz')", c=course
    )


async def test_topic_position_is_unique_within_course(session_factory):
    course = await _course(session_factory, await _user(session_factory))
    await _assert_duplicate_rejected(
        session_factory,
        "INSERT INTO topics (course_id, chapter_index, chapter_title, topic_index, title) VALUES (:c, 0, 'Ch', 0, 'T')",
        c=course,
    )


async def test_one_remediation_plan_per_attempt(session_factory):
    user = await _user(session_factory)
    course = await _course(session_factory, user)
    content = (
        await _exec(
            session_factory,
            "INSERT INTO study_contents (course_id, type) VALUES (:c, 'quiz') RETURNING id",
            c=course,
        )
    ).scalar_one()
    attempt = (
        await _exec(
            session_factory,
            "INSERT INTO quiz_attempts (user_id, study_content_id, answers, score, total, percentage) "
            "VALUES (:u, :s, '{}', 1, 2, 50) RETURNING id",
            u=user,
            s=content,
        )
    ).scalar_one()
    await _assert_duplicate_rejected(
        session_factory,
        "INSERT INTO remediation_plans (quiz_attempt_id, user_id, course_id) VALUES (:a, :u, :c)",
        a=attempt,
        u=user,
        c=course,
    )


async def test_webhook_event_ids_are_unique_per_provider(session_factory):
    event_id = f"evt_{uuid.uuid4().hex}"
    await _assert_duplicate_rejected(
        session_factory,
        "INSERT INTO webhook_events (provider, event_id, event_type) VALUES ('stripe', :e, 'x')",
        e=event_id,
    )
    # The same id from another provider is a different event.
    await _exec(
        session_factory,
        "INSERT INTO webhook_events (provider, event_id, event_type) VALUES ('clerk', :e, 'x')",
        e=event_id,
    )


async def test_one_notification_per_user_kind_and_day(session_factory):
    user = await _user(session_factory)
    await _assert_duplicate_rejected(
        session_factory,
        "INSERT INTO notifications (user_id, kind, message, day) VALUES (:u, 'streak', 'hi', :d)",
        u=user,
        d=date(2026, 11, 22),
    )


async def test_one_successful_ledger_row_per_idempotency_key(session_factory):
    sql = (
        "INSERT INTO llm_calls (purpose, provider, model, latency_ms, outcome, idempotency_key) "
        "VALUES ('p', 'primary', 'm', 1, :o, :k)"
    )
    key = f"k-{uuid.uuid4().hex}"
    # Failed attempts under one key are all kept; only one success may exist.
    await _exec(session_factory, sql, o="rate_limited", k=key)
    await _exec(session_factory, sql, o="rate_limited", k=key)
    await _assert_duplicate_rejected(session_factory, sql, o="ok", k=key)


async def test_vector_columns_have_hnsw_cosine_indexes_and_chunks_have_gin(session_factory):
    rows = (
        await _exec(
            session_factory,
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename IN ('content_chunks', 'semantic_cache')",
        )
    ).all()
    definitions = {(t, d) for t, d in rows}
    assert any(t == "content_chunks" and "hnsw" in d and "vector_cosine_ops" in d for t, d in definitions)
    assert any(t == "semantic_cache" and "hnsw" in d and "vector_cosine_ops" in d for t, d in definitions)
    assert any(t == "content_chunks" and "gin" in d and "tsv" in d for t, d in definitions)
    dims = (
        await _exec(
            session_factory,
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'content_chunks'::regclass AND attname = 'embedding'",
        )
    ).scalar_one()
    assert dims == "vector(384)"


def test_migrations_upgrade_and_downgrade_on_an_empty_database(database_url):
    name = f"studyflow_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(database_url, name)
    try:
        migrate.upgrade(url)
        with psycopg.connect(url) as conn:
            tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        assert {"users", "courses", "topics", "study_contents", "content_chunks", "semantic_cache"} <= tables
        migrate.downgrade(url)
        with psycopg.connect(url) as conn:
            left = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        assert left == {"alembic_version"}
        migrate.upgrade(url)  # and back up again: the round trip is repeatable
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_each_active_day_links_to_the_learners_day_before_whatever_order_days_arrive_in(session_factory):
    """`prev_day` (migration 0022's triggers): late days slot in between, one statement inserting
    several days out of order links them too, and the streak writer's upsert keeps the link."""
    user = await _user(session_factory)
    insert = (
        "INSERT INTO learner_active_days (user_id, day, first_at, last_at) "
        "SELECT :u, d, d, d FROM unnest(CAST(:days AS date[])) d"
    )
    await _exec(session_factory, insert, u=user, days=[date(2026, 3, 10)])
    await _exec(session_factory, insert, u=user, days=[date(2026, 3, 20), date(2026, 3, 2), date(2026, 3, 15)])
    await _exec(session_factory, insert, u=user, days=[date(2026, 3, 12)])  # a late day between two
    await _exec(session_factory, insert, u=user, days=[date(2026, 3, 1)])  # before them all
    await _exec(
        session_factory,
        "INSERT INTO learner_active_days (user_id, day, first_at, last_at) VALUES (:u, :d, :d, :d) "
        "ON CONFLICT (user_id, day) DO UPDATE SET last_at = excluded.last_at",
        u=user,
        d=date(2026, 3, 12),
    )
    rows = (
        await _exec(
            session_factory,
            "SELECT day, prev_day, lag(day) OVER (ORDER BY day) FROM learner_active_days "
            "WHERE user_id = :u ORDER BY day",
            u=user,
        )
    ).all()
    assert [day.day for day, _, _ in rows] == [1, 2, 10, 12, 15, 20]
    assert [(day, prev) for day, prev, _ in rows] == [(day, lagged) for day, _, lagged in rows]
