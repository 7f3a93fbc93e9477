"""Analytics (issue 35, SPEC §13): each figure on a small hand-built data set whose right answers are
worked out here; rollups equal a raw computation in Python for every day of a seeded random data
set; rolling again and backfilling again change nothing; who may read which figures."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from subprocess import PIPE, STDOUT
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from activities.analytics_activities import roll_unit
from cli.analytics_backfill import backfill_direct
from cli.schedules import analytics_input, upsert_schedules
from db.analytics.days import Day, days_between
from db.analytics.dirty import mark_dirty
from db.models.analytics import LEARNERS_SCOPE
from studyflow.contracts.workflow_inputs import RollupDayInput, RollupUnit
from studyflow.local_day import today_in
from tests.support.organization_world import organization
from tests.support.polling import poll_until
from tests.support.replay import HISTORIES, RECORDING_LABEL, replayer
from tests.support.worker_process import service_env
from workflows.analytics_rollup import AnalyticsRollupWorkflow


# --- building events straight into the tables ----------------------------------------------------
class Events:
    """Writes the rows the analytics read, at chosen instants, for the learners of a world."""

    def __init__(self, session_factory, tz: str):
        self.sessions = session_factory
        self.tz = tz
        self.content: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID]] = {}  # user -> (course, content)
        self.topics: dict[tuple[uuid.UUID, str], uuid.UUID] = {}

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return Day.of(day, self.tz).start + timedelta(hours=hour, minutes=minute)

    async def _course(self, session, user: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
        if user not in self.content:
            course = await session.scalar(
                text(
                    "INSERT INTO courses (owner_id, topic, course_type, difficulty, status) "
                    "VALUES (:u, 'Analytics', 'standard', 'beginner', 'ready') RETURNING id"
                ),
                {"u": user},
            )
            content = await session.scalar(
                text(
                    "INSERT INTO study_contents (course_id, type, status) VALUES (:c, 'quiz', 'completed') RETURNING id"
                ),
                {"c": course},
            )
            self.content[user] = (course, content)
        return self.content[user]

    async def topic(self, user: uuid.UUID, title: str) -> uuid.UUID:
        async with self.sessions.begin() as session:
            course, _ = await self._course(session, user)
            if (user, title) not in self.topics:
                self.topics[(user, title)] = await session.scalar(
                    text(
                        "INSERT INTO topics (course_id, chapter_index, chapter_title, topic_index, title) "
                        "VALUES (:c, 0, 'One', :i, :t) RETURNING id"
                    ),
                    {"c": course, "i": len(self.topics), "t": title},
                )
        return self.topics[(user, title)]

    async def attempt(self, user: uuid.UUID, when: datetime, percentage: float) -> None:
        async with self.sessions.begin() as session:
            course, content = await self._course(session, user)
            await session.execute(
                text(
                    "INSERT INTO quiz_attempts (user_id, study_content_id, course_id, answers, score, total, "
                    "percentage, created_at) VALUES (:u, :s, :c, '{}', :score, 100, :p, :at)"
                ),
                {"u": user, "s": content, "c": course, "score": int(percentage), "p": percentage, "at": when},
            )

    async def review(self, user: uuid.UUID, when: datetime, rating: str, predicted: float | None) -> None:
        async with self.sessions.begin() as session:
            _, content = await self._course(session, user)
            state = await session.scalar(
                text(
                    "INSERT INTO flashcard_states (user_id, study_content_id, card_key, fsrs_card, due_at) "
                    "VALUES (:u, :s, :k, '{}', :at) RETURNING id"
                ),
                {"u": user, "s": content, "k": uuid.uuid4().hex, "at": when},
            )
            await session.execute(
                text(
                    "INSERT INTO flashcard_reviews (card_state_id, rating, review_log, reviewed_at, retrievability) "
                    "VALUES (:s, :r, '{}', :at, :p)"
                ),
                {"s": state, "r": rating, "at": when, "p": predicted},
            )

    async def active(self, user: uuid.UUID, day: date, first_hour: int = 9, last_hour: int = 10) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                text(
                    "INSERT INTO learner_active_days (user_id, day, first_at, last_at) VALUES (:u, :d, :f, :l) "
                    "ON CONFLICT (user_id, day) DO UPDATE SET first_at = least(learner_active_days.first_at, "
                    "excluded.first_at), last_at = greatest(learner_active_days.last_at, excluded.last_at)"
                ),
                {"u": user, "d": day, "f": self.at(day, first_hour), "l": self.at(day, last_hour)},
            )

    async def crossing(self, user: uuid.UUID, title: str, when: datetime, mastered: bool) -> None:
        topic = await self.topic(user, title)
        async with self.sessions.begin() as session:
            await session.execute(
                text("INSERT INTO mastery_crossings (user_id, topic_id, mastered, at) VALUES (:u, :t, :m, :at)"),
                {"u": user, "t": topic, "m": mastered, "at": when},
            )

    async def tutoring_session(self, user: uuid.UUID, org: uuid.UUID, day: date, status: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                text(
                    "INSERT INTO tutoring_sessions (organization_id, learner_id, subject, session_date, "
                    "transcript_format, status) VALUES (:o, :u, 'Maths', :d, 'text', :s)"
                ),
                {"o": org, "u": user, "d": day, "s": status},
            )

    async def nudge(self, user: uuid.UUID, when: datetime, reason: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                text(
                    "INSERT INTO notifications (user_id, kind, reason, message, day, created_at) "
                    "VALUES (:u, 'engagement', :r, 'Come back', :d, :at)"
                ),
                {"u": user, "r": reason, "d": when.date(), "at": when},
            )

    async def handoff(
        self, session, user: uuid.UUID, org: uuid.UUID, tutor: uuid.UUID, status: str, sent, decided
    ) -> None:
        """A chat of `user`'s handed off to `tutor`, sent and (or None) decided at those instants."""
        conversation = await session.scalar(
            text(
                "INSERT INTO conversations (owner_id, title, status, workflow_id) "
                "VALUES (:u, 'Help', 'idle', :w) RETURNING id"
            ),
            {"u": user, "w": f"conversation-{uuid.uuid4()}"},
        )
        await session.execute(
            text(
                "INSERT INTO tutor_handoffs (conversation_id, owner_id, reason, summary, status, "
                "organization_id, tutor_id, sent_at, decided_at) "
                "VALUES (:c, :u, 'stuck', '{}', :s, :o, :t, :sent, :decided)"
            ),
            {"c": conversation, "u": user, "s": status, "o": org, "t": tutor, "sent": sent, "decided": decided},
        )

    async def backdate_organization(self, org: uuid.UUID, since: datetime) -> None:
        """Memberships and tutor links made by the world today, as if made on `since`."""
        async with self.sessions.begin() as session:
            await session.execute(
                text("UPDATE memberships SET created_at = :at WHERE organization_id = :o"), {"o": org, "at": since}
            )
            await session.execute(
                text("UPDATE tutor_links SET created_at = :at WHERE organization_id = :o"), {"o": org, "at": since}
            )


async def roll(session_factory, tz: str, days: list[date], scopes: list[uuid.UUID], churn_days: int = 14) -> None:
    for day in days:
        for scope in [LEARNERS_SCOPE, *scopes]:
            await roll_unit(
                session_factory,
                RollupDayInput(unit=RollupUnit(day=day, scope=scope), timezone=tz, churn_days=churn_days),
            )


async def learner_rows(session_factory, users: list[uuid.UUID]) -> dict:
    async with session_factory() as session:
        rows = await session.execute(
            text("SELECT * FROM analytics_learner_days WHERE user_id = ANY(:u) ORDER BY user_id, day"),
            {"u": users},
        )
        return {(r.user_id, r.day): dict(r._mapping) for r in rows}


async def org_rows(session_factory, org: uuid.UUID) -> dict:
    async with session_factory() as session:
        rows = await session.execute(
            text("SELECT * FROM analytics_org_days WHERE organization_id = :o ORDER BY day, segment, segment_id"),
            {"o": org},
        )
        return {(r.day, r.segment, r.segment_id): dict(r._mapping) for r in rows}


def ids(world) -> SimpleNamespace:
    return SimpleNamespace(
        org=uuid.UUID(world.org_id),
        **{name: uuid.UUID(p.user_id) for name, p in world.people.items() if p.user_id is not None},
    )


def today(settings) -> date:
    return today_in(settings.day_timezone, datetime.now().astimezone())


# --- the hand-built data set -------------------------------------------------------------------
async def hand_built(api, settings, session_factory):
    """Six days D0..D5 ending four days ago, worked out figure by figure in the tests below.

    learner: attempts D0 40 % and 60 %, D1 50 %, D2 70 %, D4 80 %, D5 90 % and 100 %; active D0, D1,
      D2, D4 (09:00-10:00), D5; four reviews on D1 (good 0.9, good 0.8, again 0.5, hard with no
      prediction); topic A mastered the day before D0, B on D3, C on D4, A lost on D5; a tutoring
      session ready on D2 and one still processing on D3; nudged (streak) on D3 at 10:00.
    peer: active 20 days before D0 and on D5 from 12:00; never nudged."""
    world = await organization(api)
    who = ids(world)
    tz = settings.day_timezone
    d = [today(settings) - timedelta(days=9 - n) for n in range(6)]  # D0..D5; D5 is 4 days ago
    ev = Events(session_factory, tz)
    await ev.backdate_organization(who.org, ev.at(d[0] - timedelta(days=40), 8))
    L, P = who.learner, who.peer
    for day, hour, pct in [(0, 9, 40), (0, 10, 60), (1, 9, 50), (2, 9, 70), (4, 9, 80), (5, 9, 90), (5, 10, 100)]:
        await ev.attempt(L, ev.at(d[day], hour), pct)
    for n in (0, 1, 2, 4, 5):
        await ev.active(L, d[n])
    for rating, predicted in [("good", 0.9), ("good", 0.8), ("again", 0.5), ("hard", None)]:
        await ev.review(L, ev.at(d[1], 9, 30), rating, predicted)
    await ev.crossing(L, "A", ev.at(d[0] - timedelta(days=1), 9), True)
    await ev.crossing(L, "B", ev.at(d[3], 9), True)
    await ev.crossing(L, "C", ev.at(d[4], 9), True)
    await ev.crossing(L, "A", ev.at(d[5], 9), False)
    await ev.tutoring_session(L, who.org, d[2], "ready")
    await ev.tutoring_session(L, who.org, d[3], "processing")
    await ev.nudge(L, ev.at(d[3], 10), "streak")
    await ev.active(P, d[0] - timedelta(days=20))
    await ev.active(P, d[5], first_hour=12, last_hour=13)
    await roll(session_factory, tz, days_between(d[0] - timedelta(days=1), d[5]), [who.org])
    return world, who, d


async def test_a_learners_improvement_is_worked_out_figure_by_figure(api, settings, session_factory):
    world, who, d = await hand_built(api, settings, session_factory)
    got = await api.http.get(
        f"/v1/analytics/learners/{who.learner}/improvement",
        params={"from": str(d[0]), "to": str(d[5])},
        headers=world["learner"].headers(api),
    )
    assert got.status_code == 200, got.text
    view = got.json()
    # The learner's own page asks without the id, and gets the same figures.
    mine = await api.http.get(
        "/v1/analytics/me/improvement",
        params={"from": str(d[0]), "to": str(d[5])},
        headers=world["learner"].headers(api),
    )
    assert mine.status_code == 200 and mine.json() == view
    # A day is YYYY-MM-DD: "0" is not read as the Unix epoch.
    epoch = await api.http.get(
        "/v1/analytics/me/improvement", params={"to": "0"}, headers=world["learner"].headers(api)
    )
    assert epoch.status_code == 422 and "YYYY-MM-DD" in epoch.json()["error"]["message"], epoch.text
    assert view["days"] == 6 and view["not_rolled"] == 0
    # The first third (D0, D1): 40, 60, 50 -> 50.0; the last third (D4, D5): 80, 90, 100 -> 90.0.
    assert (view["score_before"], view["attempts_before"]) == (50.0, 3)
    assert (view["score_after"], view["attempts_after"]) == (90.0, 3)
    assert view["score_change"] == 40.0
    assert view["attempts"] == 7
    # Active 5 of 6 days.
    assert view["active_days"] == 5
    assert view["engagement_rate"] == round(5 / 6, 4)
    # Reviews: 4, recalled 3 (all but `again`); predicted on 3 of them: (0.9 + 0.8 + 0.5) / 3, of
    # which 2 recalled.
    assert (view["reviews"], view["recalled"], view["recall_rate"]) == (4, 3, 0.75)
    assert view["predicted_reviews"] == 3
    assert view["predicted_retention"] == round(2.2 / 3, 4)
    assert view["measured_retention"] == round(2 / 3, 4)
    # Mastered: A before D0 (1); B on D3, C on D4 (3); A lost on D5 (2).
    assert (view["mastered_start"], view["mastered_end"], view["mastered_change"]) == (1, 2, 1)
    # One session ready (D2); the processing one does not count.
    assert view["sessions"] == 1
    # One week, D0..D5.
    assert len(view["trend"]) == 1
    week = view["trend"][0]
    assert week["week_start"] == str(d[0])
    assert week["attempts"] == 7 and week["average_score"] == round(490 / 7, 2)
    assert week["active_days"] == 5 and week["reviews"] == 4 and week["recall_rate"] == 0.75
    assert week["mastered"] == 2


async def test_an_organisation_overview_is_worked_out_figure_by_figure(api, settings, session_factory):
    world, who, d = await hand_built(api, settings, session_factory)
    admin = world["admin"].headers(api)
    url = f"/v1/analytics/organizations/{who.org}/overview"

    # D0..D3. On D3: nobody active (DAU 0); the learner in the last 7 days (WAU 1); both in the
    # last 30 (MAU 2); the peer last active 23 days before D3, past the 14-day churn line: 1 of 2.
    got = await api.http.get(url, params={"from": str(d[0]), "to": str(d[3])}, headers=admin)
    assert got.status_code == 200, got.text
    v = got.json()
    assert v["segment"] == "all" and v["days"] == 4
    assert (v["learners"], v["dau"], v["wau"], v["mau"]) == (2, 0, 1, 2)
    assert (v["churned"], v["ever_active"], v["churn_rate"]) == (1, 2, 0.5)
    # DAU per day: D0 1, D1 1, D2 1, D3 0 -> 0.75.
    assert v["dau_average"] == 0.75
    assert v["sessions"] == 1 and v["sessions_per_learner"] == 0.5
    # The nudge on D3 10:00: the learner came back on D4 (09:00, within 48 h). The peer, not
    # nudged and not yet active on D3, is the comparison: back on D5 at 12:00, past 48 h.
    assert v["nudges"] == [{"reason": "streak", "nudged": 1, "returned": 1, "return_rate": 1.0, "lift": 1.0}]
    assert (v["control_learners"], v["control_returned"], v["control_return_rate"]) == (1, 0, 0.0)

    # D0..D5: both active on D5.
    full = (await api.http.get(url, params={"from": str(d[0]), "to": str(d[5])}, headers=admin)).json()
    assert (full["dau"], full["wau"], full["mau"], full["churned"]) == (2, 2, 2, 0)
    assert [day["dau"] for day in full["series"]] == [1, 1, 1, 0, 1, 2]

    # The tutor sees their own learner only: one learner, never churned.
    mine = await api.http.get(url, params={"from": str(d[0]), "to": str(d[3])}, headers=world["tutor"].headers(api))
    assert mine.status_code == 200, mine.text
    m = mine.json()
    assert m["segment"] == "tutor" and m["segment_id"] == str(who.tutor)
    assert (m["learners"], m["wau"], m["mau"], m["churned"], m["sessions"]) == (1, 1, 1, 0, 1)
    # The admin's view of that tutor's learners is the same.
    same = await api.http.get(url, params={"from": str(d[0]), "to": str(d[3]), "tutor": str(who.tutor)}, headers=admin)
    assert {k: v for k, v in same.json().items()} == m

    csv = await api.http.get(f"{url}.csv", params={"from": str(d[0]), "to": str(d[3])}, headers=admin)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    rows = dict(line.split(",", 1) for line in csv.text.strip().splitlines()[1:])
    assert rows["learners"] == "2" and rows["churn_rate"] == "0.5" and rows["nudges.streak.returned"] == "1"


# --- rollups against a raw computation ---------------------------------------------------------
async def test_rollups_equal_a_raw_computation_for_every_day_of_a_random_data_set(api, settings, session_factory):
    rng = random.Random(35)
    world = await organization(api)
    who = ids(world)
    tz = settings.day_timezone
    ev = Events(session_factory, tz)
    days = [today(settings) - timedelta(days=30 - n) for n in range(21)]
    await ev.backdate_organization(who.org, ev.at(days[0] - timedelta(days=40), 8))
    learners = [who.learner, who.peer]
    attempts: dict = {}
    reviews: dict = {}
    active: dict = {u: set() for u in learners}
    mastered: dict = {u: {} for u in learners}  # user -> topic -> [(at, mastered)]
    sessions: dict = {}
    for day in days:
        for user in learners:
            for _ in range(rng.randint(0, 3)):
                pct = rng.choice([0, 25, 50, 75, 100])
                await ev.attempt(user, ev.at(day, rng.randint(0, 23)), pct)
                attempts.setdefault((user, day), []).append(pct)
            for _ in range(rng.randint(0, 2)):
                rating = rng.choice(["again", "hard", "good", "easy"])
                await ev.review(user, ev.at(day, rng.randint(0, 23)), rating, rng.choice([None, 0.5, 0.75]))
                reviews.setdefault((user, day), []).append(rating)
            if rng.random() < 0.6:
                await ev.active(user, day)
                active[user].add(day)
            if rng.random() < 0.3:
                title, flag = rng.choice("XYZ"), rng.random() < 0.7
                await ev.crossing(user, title, ev.at(day, 12), flag)
                mastered[user].setdefault(title, []).append((day, flag))
            if rng.random() < 0.2:
                await ev.tutoring_session(user, who.org, day, "ready")
                sessions[(user, day)] = sessions.get((user, day), 0) + 1
    await roll(session_factory, tz, days, [who.org])
    rolled = await learner_rows(session_factory, learners)
    org = await org_rows(session_factory, who.org)

    for day in days:
        for user in learners:
            row = rolled.get((user, day))
            pcts, rs = attempts.get((user, day), []), reviews.get((user, day), [])
            topics_mastered = sum(
                1 for events in mastered[user].values() if [f for dd, f in events if dd <= day][-1:] == [True]
            )
            anything = (
                pcts
                or rs
                or day in active[user]
                or sessions.get((user, day))
                or any(dd == day for events in mastered[user].values() for dd, _ in events)
            )
            if not anything:
                assert row is None, (user, day)
                continue
            assert row is not None, (user, day)
            assert row["attempts"] == len(pcts) and float(row["score_sum"]) == sum(pcts), (user, day)
            assert row["reviews"] == len(rs) and row["recalled"] == sum(r != "again" for r in rs), (user, day)
            assert row["active"] == (day in active[user]), (user, day)
            assert row["mastered"] == topics_mastered, (user, day)
            assert row["sessions"] == sessions.get((user, day), 0), (user, day)

        everyone = org[(day, "all", who.org)]
        last_days = {u: max((a for a in active[u] if a <= day), default=None) for u in learners}
        assert everyone["learners"] == 2
        assert everyone["dau"] == sum(last_days[u] == day for u in learners), day
        assert everyone["wau"] == sum(
            last_days[u] is not None and last_days[u] >= day - timedelta(days=6) for u in learners
        ), day
        assert everyone["mau"] == sum(
            last_days[u] is not None and last_days[u] >= day - timedelta(days=29) for u in learners
        ), day
        assert everyone["ever_active"] == sum(last_days[u] is not None for u in learners), day
        assert everyone["churned"] == sum(
            last_days[u] is not None and last_days[u] < day - timedelta(days=13) for u in learners
        ), day
        assert everyone["sessions"] == sum(sessions.get((u, day), 0) for u in learners), day
        mine = org[(day, "tutor", who.tutor)]
        assert mine["learners"] == 1 and mine["sessions"] == sessions.get((who.learner, day), 0)


async def test_rolling_again_and_backfilling_again_change_nothing(api, settings, session_factory):
    world, who, d = await hand_built(api, settings, session_factory)
    tz = settings.day_timezone
    before_learners = await learner_rows(session_factory, [who.learner, who.peer])
    before_org = await org_rows(session_factory, who.org)
    assert before_learners and before_org
    await roll(session_factory, tz, days_between(d[0] - timedelta(days=1), d[5]), [who.org])
    assert await learner_rows(session_factory, [who.learner, who.peer]) == before_learners
    assert await org_rows(session_factory, who.org) == before_org
    for _ in range(2):
        assert await backfill_direct(settings, d[0] - timedelta(days=1), d[5], who.org, quiet=True) == 0
        assert await learner_rows(session_factory, [who.learner, who.peer]) == before_learners
        assert await org_rows(session_factory, who.org) == before_org

    # A late event re-rolls the day it belongs to, and only changes that day.
    ev = Events(session_factory, tz)
    await ev.attempt(who.peer, ev.at(d[2], 15), 30)
    await roll(session_factory, tz, [d[2]], [who.org])
    after = await learner_rows(session_factory, [who.learner, who.peer])
    changed = {k for k in after if after[k] != before_learners.get(k)}
    assert changed == {(who.peer, d[2])}
    assert after[(who.peer, d[2])]["attempts"] == 1


# --- who may read -------------------------------------------------------------------------------
async def test_who_may_read_a_learners_improvement_and_an_organisations_overview(api):
    world = await organization(api)
    who = ids(world)
    improvement = f"/v1/analytics/learners/{who.learner}/improvement"
    for name, status in [
        ("learner", 200),
        ("tutor", 200),
        ("admin", 200),
        ("other_tutor", 403),  # as for the learner's courses: in the organisation, not linked
        ("peer", 404),
        ("other_admin", 404),
        ("outsider", 404),
    ]:
        got = await api.http.get(improvement, headers=world[name].headers(api))
        assert got.status_code == status, (name, got.status_code, got.text)
    overview = f"/v1/analytics/organizations/{who.org}/overview"
    for name, status, segment in [
        ("admin", 200, "all"),
        ("tutor", 200, "tutor"),
        ("other_tutor", 200, "tutor"),
        ("learner", 403, None),  # a member whose role does not allow it
        ("other_admin", 404, None),
        ("outsider", 404, None),
    ]:
        got = await api.http.get(overview, headers=world[name].headers(api))
        assert got.status_code == status, (name, got.status_code, got.text)
        if segment:
            assert got.json()["segment"] == segment
    # A tutor asking for another tutor's learners is refused; so is a filter by both.
    other = await api.http.get(overview, params={"tutor": str(who.tutor)}, headers=world["other_tutor"].headers(api))
    assert other.status_code == 403, other.text
    both = await api.http.get(
        overview, params={"tutor": str(who.tutor), "group": str(uuid.uuid4())}, headers=world["admin"].headers(api)
    )
    assert both.status_code == 422, both.text
    bad = await api.http.get(
        improvement, params={"from": "2026-01-02", "to": "2026-01-01"}, headers=world["learner"].headers(api)
    )
    assert bad.status_code == 422, bad.text


async def test_a_group_filter_counts_only_the_groups_learners_and_groups_are_checked(api, settings, session_factory):
    world, who, d = await hand_built(api, settings, session_factory)
    admin, tutor = world["admin"].headers(api), world["tutor"].headers(api)
    url = f"/v1/analytics/organizations/{who.org}/overview"

    async def group_of(headers, name: str, member: uuid.UUID) -> str:
        made = await api.http.post(f"/v1/organizations/{who.org}/groups", json={"name": name}, headers=headers)
        assert made.status_code == 201, made.text
        added = await api.http.post(
            f"/v1/groups/{made.json()['id']}/members", json={"learner_id": str(member)}, headers=headers
        )
        assert added.status_code == 204, added.text
        return made.json()["id"]

    peers = await group_of(admin, "Peers", who.peer)
    mine = await group_of(tutor, "Mine", who.learner)
    # Members since before D0, and the days rolled again: a group counts from the day it got them.
    async with session_factory.begin() as session:
        await session.execute(
            text("UPDATE group_members SET added_at = :at WHERE group_id = ANY(:g)"),
            {"at": Events(session_factory, settings.day_timezone).at(d[0] - timedelta(days=2), 8), "g": [peers, mine]},
        )
    await roll(session_factory, settings.day_timezone, days_between(d[0] - timedelta(days=1), d[5]), [who.org])

    # The peer alone, D0..D3: last active 23 days before D3 (in the MAU, churned), no session.
    got = await api.http.get(url, params={"from": str(d[0]), "to": str(d[3]), "group": peers}, headers=admin)
    assert got.status_code == 200, got.text
    v = got.json()
    assert (v["segment"], v["segment_id"]) == ("group", peers)
    assert (v["learners"], v["dau"], v["wau"], v["mau"]) == (1, 0, 0, 1)
    assert (v["churned"], v["ever_active"], v["churn_rate"]) == (1, 1, 1.0)
    assert (v["sessions"], v["dau_average"], v["nudges"]) == (0, 0.0, [])
    full = await api.http.get(url, params={"from": str(d[0]), "to": str(d[5]), "group": peers}, headers=admin)
    assert [day["dau"] for day in full.json()["series"]] == [0, 0, 0, 0, 0, 1]

    # The tutor's own group: their learner's figures, as in the tutor's view of their learners.
    own = await api.http.get(url, params={"from": str(d[0]), "to": str(d[3]), "group": mine}, headers=tutor)
    assert own.status_code == 200, own.text
    o = own.json()
    assert (o["segment"], o["learners"], o["wau"], o["churned"], o["sessions"]) == ("group", 1, 1, 0, 1)
    # Another's group, another organisation's group, a group that does not exist.
    theirs = await api.http.get(url, params={"group": peers}, headers=tutor)
    assert theirs.status_code == 403 and "'Peers'" in theirs.json()["error"]["message"], theirs.text
    other = world["other_admin"].headers(api)
    other_org = (await api.http.get("/v1/organizations", headers=other)).json()["active_organization_id"]
    made = await api.http.post(f"/v1/organizations/{other_org}/groups", json={"name": "Elsewhere"}, headers=other)
    assert made.status_code == 201, made.text
    for group in (made.json()["id"], str(uuid.uuid4())):
        missing = await api.http.get(url, params={"group": group}, headers=admin)
        assert missing.status_code == 404 and group in missing.json()["error"]["message"], missing.text
    # The CSV export takes the same filter.
    csv = await api.http.get(f"{url}.csv", params={"from": str(d[0]), "to": str(d[3]), "group": peers}, headers=admin)
    rows = dict(line.split(",", 1) for line in csv.text.strip().splitlines()[1:])
    assert (rows["learners"], rows["churn_rate"], rows["segment"]) == ("1", "1.0", "group"), csv.text


@pytest.fixture(autouse=True)
def _tz_is_known(settings):
    assert settings.day_timezone


# --- the workflow, its schedule, its recorded history ---------------------------------------------
async def test_the_rollup_workflow_backfills_like_the_direct_backfill_and_its_history_replays(
    api, settings, session_factory, temporal_env
):
    world, who, d = await hand_built(api, settings, session_factory)
    rolled = await learner_rows(session_factory, [who.learner, who.peer])
    by_org = await org_rows(session_factory, who.org)
    async with session_factory.begin() as session:
        await session.execute(text("DELETE FROM analytics_org_days WHERE organization_id = :o"), {"o": who.org})
        await session.execute(text("DELETE FROM analytics_rollups WHERE scope = :o"), {"o": who.org})
    client = temporal_env.client
    # Three units a run: 7 days x 2 scopes continue as new four times.
    data = analytics_input(settings, first=d[0] - timedelta(days=1), last=d[5], organization_id=who.org)
    data = data.model_copy(update={"units_per_run": 3})
    workflow_id = f"analytics-test-{uuid.uuid4().hex[:8]}"
    handle = await client.start_workflow(
        AnalyticsRollupWorkflow.run, data, id=workflow_id, task_queue=settings.task_queue_background
    )
    assert await handle.result() == 14
    assert await learner_rows(session_factory, [who.learner, who.peer]) == rolled
    assert await org_rows(session_factory, who.org) == by_org

    first_run = client.get_workflow_handle(workflow_id, run_id=handle.first_execution_run_id)
    history = await first_run.fetch_history()
    await replayer().replay_workflow(history)
    if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
        (HISTORIES / f"AnalyticsRollupWorkflow__{RECORDING_LABEL}.json").write_text(history.to_json())


async def test_the_backfill_command_rolls_a_range_through_the_worker_and_names_bad_ranges(
    api, settings, session_factory, temporal_env
):
    world, who, d = await hand_built(api, settings, session_factory)
    by_org = await org_rows(session_factory, who.org)
    async with session_factory.begin() as session:
        await session.execute(text("DELETE FROM analytics_org_days WHERE organization_id = :o"), {"o": who.org})
        await session.execute(text("DELETE FROM analytics_rollups WHERE scope = :o"), {"o": who.org})
    env = service_env(settings, temporal_env.client.service_client.config.target_host)
    studyflow = str(Path(sys.executable).parent / "studyflow")

    async def run(*args: str) -> tuple[int, str]:
        # Not subprocess.run: the session's worker, which runs the rollup, shares this event loop.
        process = await asyncio.create_subprocess_exec(
            studyflow, "analytics-backfill", *args, env=env, stdout=PIPE, stderr=STDOUT
        )
        out, _ = await asyncio.wait_for(process.communicate(), 120)
        return process.returncode, out.decode()

    # Seven days, two scopes (the learners' and the organisation's): 14 units, the same rows.
    code, out = await run("--from", str(d[0] - timedelta(days=1)), "--to", str(d[5]), "--org", str(who.org))
    assert code == 0 and "analytics-backfill: 14 (day, scope) rolled in" in out, out
    assert await org_rows(session_factory, who.org) == by_org

    code, out = await run("--from", str(d[5]), "--to", str(d[0]))
    assert code == 2 and f"--to {d[0]} is before --from {d[5]}" in out, out
    code, out = await run("--from", "2026-02-30", "--to", str(d[0]))
    assert code == 2 and "2026-02-30" in out, out


async def test_the_nightly_schedule_rolls_yesterday_and_the_days_late_events_marked(
    api, settings, session_factory, temporal_env
):
    world, who, d = await hand_built(api, settings, session_factory)
    ev = Events(session_factory, settings.day_timezone)
    await ev.attempt(who.peer, ev.at(d[1], 15), 20)
    async with session_factory.begin() as session:
        await mark_dirty(session, who.peer, d[1], today(settings))
    tag = uuid.uuid4().hex[:8]
    configured = settings.model_copy(
        update={
            "nudge_schedule_id": f"nudges-{tag}",
            "reconcile_schedule_id": f"reconcile-{tag}",
            "analytics_schedule_id": f"analytics-{tag}",
            "tutor_digest_schedule_id": f"digest-{tag}",
        }
    )
    client = temporal_env.client
    await upsert_schedules(client, configured)
    handle = client.get_schedule_handle(configured.analytics_schedule_id)
    try:
        described = await handle.describe()
        spec = described.schedule.spec
        assert [r.start for r in spec.calendars[0].hour] == [settings.analytics_hour]
        assert spec.time_zone_name == settings.day_timezone
        await handle.trigger()
        yesterday = today(settings) - timedelta(days=1)

        async def state():
            async with session_factory() as session:
                return (
                    await session.scalar(
                        text("SELECT count(*) FROM analytics_rollups WHERE scope = :o AND day = :y"),
                        {"o": who.org, "y": yesterday},
                    ),
                    await session.scalar(text("SELECT count(*) FROM analytics_dirty_days WHERE day = :d"), {"d": d[1]}),
                )

        await poll_until(state, lambda s: s == (1, 0), timeout=60)
        rows = await learner_rows(session_factory, [who.peer])
        assert rows[(who.peer, d[1])]["attempts"] == 1
    finally:
        for schedule_id in (
            configured.analytics_schedule_id,
            configured.nudge_schedule_id,
            configured.reconcile_schedule_id,
            configured.tutor_digest_schedule_id,
        ):
            await client.get_schedule_handle(schedule_id).delete()


async def test_practice_goals_suggestions_handoffs_and_spend_are_worked_out(api, settings, session_factory):
    """Three days E0..E2 ending three days ago.

    practice: the learner's assignment due E1 done at E1 20:00 (on time), the peer's due E1 done at
    E2 09:00 (late), the learner's due E2 still open -> 1 of 3 on time (the learner: 1 of 2).
    goals: the learner's due E1 met at E1 12:00, the peer's due E2 still active, the peer's due in
    five days (outside) -> 1 of 2. suggestions: the learner's two on E0 (one accepted), the peer's
    on E2 dismissed -> 1 of 3. hand-offs: the learner's sent E0 10:00 and accepted 12:00 (7,200 s),
    the peer's sent E1 and not decided -> 2 sent, 1 accepted. LLM: the learner $0.30 on E0, the
    peer $0.10 on E1 -> $0.40, $0.20 a learner."""
    world = await organization(api)
    who = ids(world)
    tz = settings.day_timezone
    ev = Events(session_factory, tz)
    e = [today(settings) - timedelta(days=5 - n) for n in range(3)]
    await ev.backdate_organization(who.org, ev.at(e[0] - timedelta(days=40), 8))
    L, P = who.learner, who.peer
    async with session_factory.begin() as session:
        course_l, _ = await ev._course(session, L)
        course_p, _ = await ev._course(session, P)

        async def assignment(learner, course, due, completed_at):
            a = await session.scalar(
                text(
                    "INSERT INTO assignments (organization_id, created_by, kind, course_id, learner_id, title, "
                    "due_date, created_at) VALUES (:o, :t, 'course', :c, :l, 'Practice', :d, :at) RETURNING id"
                ),
                {"o": who.org, "t": who.tutor, "c": course, "l": learner, "d": due, "at": ev.at(e[0], 8)},
            )
            await session.execute(
                text(
                    "INSERT INTO assignment_targets (assignment_id, learner_id, status, completed_at) "
                    "VALUES (:a, :l, :s, :at)"
                ),
                {"a": a, "l": learner, "s": "completed" if completed_at else "open", "at": completed_at},
            )

        await assignment(L, course_l, e[1], ev.at(e[1], 20))
        await assignment(P, course_p, e[1], ev.at(e[2], 9))
        await assignment(L, course_l, e[2], None)

        async def goal(user, due, status, met_at=None):
            return await session.scalar(
                text(
                    "INSERT INTO goals (user_id, kind, target, start_date, due_date, status, met_at) "
                    "VALUES (:u, 'daily_minutes', 10, :s, :d, :st, :m) RETURNING id"
                ),
                {"u": user, "s": e[0] - timedelta(days=5), "d": due, "st": status, "m": met_at},
            )

        goal_l = await goal(L, e[1], "met", ev.at(e[1], 12))
        goal_p = await goal(P, e[2], "active")
        await goal(P, today(settings) + timedelta(days=5), "active")
        for user, g, position, status, day in [
            (L, goal_l, 0, "accepted", e[0]),
            (L, goal_l, 1, "open", e[0]),
            (P, goal_p, 0, "dismissed", e[2]),
        ]:
            await session.execute(
                text(
                    "INSERT INTO subject_suggestions (user_id, goal_id, position, topic, reason, source, status, "
                    "created_at) VALUES (:u, :g, :p, 'Topic', 'because', 'template', :s, :at)"
                ),
                {"u": user, "g": g, "p": position, "s": status, "at": ev.at(day, 7)},
            )
        for user, sent, decided, status in [
            (L, ev.at(e[0], 10), ev.at(e[0], 12), "accepted"),
            (P, ev.at(e[1], 10), None, "sent"),
        ]:
            await ev.handoff(session, user, who.org, who.tutor, status, sent, decided)
        for user, cost, day in [(L, 0.30, e[0]), (P, 0.10, e[1])]:
            await session.execute(
                text(
                    "INSERT INTO llm_calls (purpose, provider, model, latency_ms, outcome, user_id, cost_usd, "
                    "created_at) VALUES ('tutor', 'openai', 'm', 10, 'ok', :u, :c, :at)"
                ),
                {"u": user, "c": cost, "at": ev.at(day, 11)},
            )
    await roll(session_factory, tz, e, [who.org])

    url = f"/v1/analytics/organizations/{who.org}/overview"
    period = {"from": str(e[0]), "to": str(e[2])}
    v = (await api.http.get(url, params=period, headers=world["admin"].headers(api))).json()
    assert (v["practice_due"], v["practice_on_time"], v["practice_completion_rate"]) == (3, 1, round(1 / 3, 4))
    assert (v["goals_due"], v["goals_met"], v["goal_completion_rate"]) == (2, 1, 0.5)
    assert (v["suggestions_offered"], v["suggestions_accepted"]) == (3, 1)
    assert v["suggestion_acceptance_rate"] == round(1 / 3, 4)
    assert (v["handoffs_sent"], v["handoffs_accepted"], v["mean_seconds_to_accept"]) == (2, 1, 7200.0)
    assert (v["llm_cost_usd"], v["llm_cost_per_learner_usd"]) == (0.4, 0.2)

    mine = (await api.http.get(url, params=period, headers=world["tutor"].headers(api))).json()
    assert (mine["practice_due"], mine["practice_on_time"]) == (2, 1)
    assert (mine["goals_due"], mine["goals_met"]) == (1, 1)
    assert (mine["suggestions_offered"], mine["suggestions_accepted"]) == (2, 1)
    assert (mine["handoffs_sent"], mine["handoffs_accepted"]) == (1, 1)
    assert (mine["llm_cost_usd"], mine["llm_cost_per_learner_usd"]) == (0.3, 0.3)

    improvement = await api.http.get(
        f"/v1/analytics/learners/{L}/improvement", params=period, headers=world["tutor"].headers(api)
    )
    assert improvement.status_code == 200, improvement.text
    i = improvement.json()
    assert (i["assignments_due"], i["assignments_on_time"], i["on_time_rate"]) == (2, 1, 0.5)


async def test_today_is_computed_live_and_not_rolled_days_are_counted(api, settings, session_factory):
    world = await organization(api)
    who = ids(world)
    ev = Events(session_factory, settings.day_timezone)
    now = today(settings)
    await ev.backdate_organization(who.org, ev.at(now - timedelta(days=40), 8))
    await ev.attempt(who.learner, ev.at(now, 0, 1), 64)
    await ev.active(who.learner, now, 0, 0)
    async with session_factory.begin() as session:
        await session.execute(
            text("UPDATE users SET last_active_date = :d WHERE id = :u"), {"d": now, "u": who.learner}
        )
    got = await api.http.get(
        f"/v1/analytics/learners/{who.learner}/improvement",
        params={"from": str(now - timedelta(days=4)), "to": str(now)},
        headers=world["learner"].headers(api),
    )
    view = got.json()
    # Today and yesterday are computed live; of the three days before, those no test rolled (the
    # learners' days are everyone's) are counted as not rolled.
    assert view["attempts"] == 1 and view["score_after"] == 64.0 and view["active_days"] == 1
    async with session_factory() as session:
        rolled = await session.scalar(
            text("SELECT count(*) FROM analytics_rollups WHERE scope = :s AND day BETWEEN :a AND :b"),
            {"s": LEARNERS_SCOPE, "a": now - timedelta(days=4), "b": now - timedelta(days=2)},
        )
    assert view["not_rolled"] == 3 - rolled
    overview = (
        await api.http.get(
            f"/v1/analytics/organizations/{who.org}/overview",
            params={"from": str(now), "to": str(now)},
            headers=world["admin"].headers(api),
        )
    ).json()
    assert (overview["learners"], overview["dau"], overview["wau"], overview["mau"]) == (2, 1, 1, 1)


async def test_today_from_yesterdays_row_equals_the_full_statement(api, settings, session_factory):
    """The overview's live day for the whole organisation is yesterday's rolled row plus today's
    changes (db/analytics/org_today.py). On a seeded random organisation — learners who joined or
    left today or yesterday, a tutor active today, activity over five weeks, and today's nudges,
    sessions, practice, goals, suggestions, hand-offs and spend, some of non-members — it equals
    the full statement figure by figure; without yesterday's row, or with one rolled with another
    churn window, it declines and the full statement answers."""
    from db.analytics import org_days, org_today

    rng = random.Random(3521)
    world = await organization(api)
    who = ids(world)
    tz = settings.day_timezone
    ev = Events(session_factory, tz)
    now = today(settings)
    yesterday = now - timedelta(days=1)
    await ev.backdate_organization(who.org, ev.at(now - timedelta(days=60), 8))
    async with session_factory.begin() as session:

        async def learner(joined: datetime, removed: datetime | None = None) -> uuid.UUID:
            user = await session.scalar(
                text("INSERT INTO users (clerk_id) VALUES (:c) RETURNING id"), {"c": f"today_{uuid.uuid4().hex}"}
            )
            await session.execute(
                text(
                    "INSERT INTO memberships (organization_id, user_id, role, created_at, removed_at) "
                    "VALUES (:o, :u, 'learner', :c, :r)"
                ),
                {"o": who.org, "u": user, "c": joined, "r": removed},
            )
            return user

        long_ago = ev.at(now - timedelta(days=60), 8)
        stayed = [await learner(long_ago) for _ in range(10)]
        joined_today = [await learner(ev.at(now, 1)), await learner(ev.at(now, 2))]
        joined_yesterday = [await learner(ev.at(yesterday, 15))]
        left_today = [await learner(long_ago, ev.at(now, 6)), await learner(long_ago, ev.at(now, 7))]
        left_yesterday = [await learner(long_ago, ev.at(yesterday, 9))]
        came_and_went = [await learner(ev.at(now, 1), ev.at(now, 3))]
        back_again = await learner(long_ago)
        stranger = await session.scalar(
            text("INSERT INTO users (clerk_id) VALUES (:c) RETURNING id"), {"c": f"today_{uuid.uuid4().hex}"}
        )
    everyone = [
        who.learner,
        who.peer,
        *stayed,
        *joined_today,
        *joined_yesterday,
        *left_today,
        *left_yesterday,
        *came_and_went,
    ]
    for user in [*everyone, who.tutor, stranger]:
        days = [now - timedelta(days=n) for n in range(36) if rng.random() < 0.25]
        # On the edges of the windows: the week's and the month's first day, churned since
        # yesterday (last seen 14 days ago), churning tomorrow (13), long gone.
        edges = {stayed[7]: (6, 29), stayed[8]: (13, 20, 30), stayed[9]: (14, 25), left_yesterday[0]: (31,)}
        if user in edges:
            days = [now - timedelta(days=n) for n in edges[user]]
        if user in stayed[:3] or user in (*joined_today, *left_today, who.tutor, stranger):
            days.append(now)  # active today: some before the nudges go out, some after
        for day in set(days):
            first = rng.randint(0, 20)
            await ev.active(user, day, first_hour=first, last_hour=first + rng.randint(0, 3))
        if days:
            async with session_factory.begin() as session:
                await session.execute(
                    text("UPDATE users SET last_active_date = :d WHERE id = :u"), {"d": max(days), "u": user}
                )
    # Active yesterday and again today after the nudges: not comparable, so not "came back".
    await ev.active(back_again, yesterday, first_hour=1, last_hour=2)
    await ev.active(back_again, now, first_hour=10, last_hour=11)
    async with session_factory.begin() as session:
        await session.execute(text("UPDATE users SET last_active_date = :d WHERE id = :u"), {"d": now, "u": back_again})
    for user in (*stayed[3:7], left_today[0], stranger):
        await ev.nudge(user, ev.at(now, rng.randint(2, 5)), rng.choice(["streak", "due_cards", "goal"]))
    for user in (stayed[0], stayed[5], joined_today[0], left_today[1], stranger):
        await ev.tutoring_session(user, who.org, now, "ready")
    await ev.tutoring_session(stayed[1], who.org, now, "processing")
    async with session_factory.begin() as session:
        for user in (stayed[2], stayed[3], joined_today[1], left_today[0]):
            course, _ = await ev._course(session, user)
            assignment = await session.scalar(
                text(
                    "INSERT INTO assignments (organization_id, created_by, kind, course_id, learner_id, title, "
                    "due_date, created_at) VALUES (:o, :t, 'course', :c, :l, 'Practice', :d, :at) RETURNING id"
                ),
                {"o": who.org, "t": who.tutor, "c": course, "l": user, "d": now, "at": long_ago},
            )
            done = ev.at(now, 4) if rng.random() < 0.5 else None
            await session.execute(
                text(
                    "INSERT INTO assignment_targets (assignment_id, learner_id, status, completed_at) "
                    "VALUES (:a, :l, :s, :at)"
                ),
                {"a": assignment, "l": user, "s": "completed" if done else "open", "at": done},
            )
        for user in (stayed[4], stayed[8], left_today[1], stranger):
            met = rng.random() < 0.5
            goal = await session.scalar(
                text(
                    "INSERT INTO goals (user_id, kind, target, start_date, due_date, status, met_at) "
                    "VALUES (:u, 'daily_minutes', 10, :s, :d, :st, :m) RETURNING id"
                ),
                {
                    "u": user,
                    "s": now - timedelta(days=5),
                    "d": now,
                    "st": "met" if met else "active",
                    "m": ev.at(now, 3) if met else None,
                },
            )
            await session.execute(
                text(
                    "INSERT INTO subject_suggestions (user_id, goal_id, position, topic, reason, source, status, "
                    "created_at) VALUES (:u, :g, 0, 'Topic', 'because', 'template', :s, :at)"
                ),
                {"u": user, "g": goal, "s": rng.choice(["accepted", "open"]), "at": ev.at(now, 5)},
            )
        for user, status in [(stayed[6], "accepted"), (stayed[7], "sent"), (left_today[0], "accepted")]:
            await ev.handoff(
                session,
                user,
                who.org,
                who.tutor,
                status,
                ev.at(now, 2),
                ev.at(now, 4) if status == "accepted" else None,
            )
        for user in (stayed[0], joined_today[0], left_today[1], stranger):
            await session.execute(
                text(
                    "INSERT INTO llm_calls (purpose, provider, model, latency_ms, outcome, user_id, cost_usd, "
                    "created_at) VALUES ('tutor', 'openai', 'm', 10, 'ok', :u, :c, :at)"
                ),
                {"u": user, "c": rng.choice([0.01, 0.02, 0.05]), "at": ev.at(now, rng.randint(0, 6))},
            )

    async def counted_days(session) -> list[date]:
        days = "SELECT DISTINCT day FROM analytics_live_gaps WHERE organization_id = :o AND learners <> 0 ORDER BY 1"
        return list(await session.scalars(text(days), {"o": who.org}))

    day = Day.of(now, tz)
    async with session_factory() as session:
        assert len(await counted_days(session)) > 2  # the five weeks of activity, before any roll
        assert await org_today.today_from_yesterday(session, who.org, day, 14) is None  # nothing rolled
    await roll(session_factory, tz, [yesterday], [who.org], churn_days=7)
    async with session_factory() as session:
        assert await org_today.today_from_yesterday(session, who.org, day, 14) is None  # another window
    await roll(session_factory, tz, [yesterday], [who.org], churn_days=14)
    async with session_factory() as session:
        # Rolling yesterday dropped the counters of the days before it; yesterday's and today's stay.
        assert await counted_days(session) == [yesterday, now]
        full = await org_days.live_day(session, who.org, org_days.ALL, who.org, day, today=True, churn_days=14)
        fast = await org_today.today_from_yesterday(session, who.org, day, 14)
    # The data set reaches every term: members who changed today, windows, churn, nudges, control.
    assert full.learners == 2 + 10 + 2 + 1 + 1  # the world's two, stayed, joined today, joined yesterday, back_again
    assert full.dau >= 4 and full.wau > full.dau and full.mau > full.wau and full.churned > 0
    assert full.control_learners > 0 and sum(n for n, _ in full.nudges.values()) == 4  # members only
    assert full.sessions == 3 and full.practice_due == 3 and full.goals_due == 2 and full.handoffs_sent == 2
    assert full.control_returned > 0
    assert fast == full

    # Rows the shortcut cannot read right: a member's day of yesterday recorded as beginning after
    # today's nudges went out (a late event), or a member's day after today. It declines, and the
    # full statement still answers.
    tomorrow = now + timedelta(days=1)
    for late_day, first_at in ((yesterday, ev.at(now, 22)), (tomorrow, ev.at(tomorrow, 9))):
        async with session_factory.begin() as session:
            row = {"u": stayed[9], "d": late_day, "f": first_at}
            await session.execute(
                text("INSERT INTO learner_active_days (user_id, day, first_at, last_at) VALUES (:u, :d, :f, :f)"),
                row,
            )
        async with session_factory() as session:
            assert await org_today.today_from_yesterday(session, who.org, day, 14) is None
        async with session_factory.begin() as session:
            await session.execute(text("DELETE FROM learner_active_days WHERE user_id = :u AND day = :d"), row)
        async with session_factory() as session:
            assert await org_today.today_from_yesterday(session, who.org, day, 14) == full

    # Memberships changing after the day's activity was counted: two learners active today leave, one
    # active today joins. Still equal to the full statement.
    newcomer = stranger
    async with session_factory.begin() as session:
        await session.execute(
            text("UPDATE memberships SET removed_at = now() WHERE organization_id = :o AND user_id = ANY(:u)"),
            {"o": who.org, "u": [stayed[0], stayed[2]]},
        )
        await session.execute(
            text("INSERT INTO memberships (organization_id, user_id, role) VALUES (:o, :u, 'learner')"),
            {"o": who.org, "u": newcomer},
        )
    async with session_factory() as session:
        changed = await org_days.live_day(session, who.org, org_days.ALL, who.org, day, today=True, churn_days=14)
        fast = await org_today.today_from_yesterday(session, who.org, day, 14)
    assert (changed.learners, changed.dau) == (full.learners - 1, full.dau - 1)
    assert fast == changed
    # A role changed today (yesterday's row counted the member as they were then), or a membership
    # dated after today (the counters count live members now, the statement members at the end of
    # today): the shortcut declines.
    async with session_factory.begin() as session:
        await session.execute(
            text("UPDATE memberships SET role = 'tutor' WHERE organization_id = :o AND user_id = :u"),
            {"o": who.org, "u": stayed[1]},
        )
    async with session_factory() as session:
        assert await org_today.today_from_yesterday(session, who.org, day, 14) is None
    async with session_factory.begin() as session:
        # Back as a learner; the mark cleared by hand, as if the change had been on another day.
        await session.execute(text("UPDATE memberships SET role = 'learner' WHERE user_id = :u"), {"u": stayed[1]})
        await session.execute(
            text("UPDATE memberships SET role_changed_at = NULL WHERE user_id = :u"), {"u": stayed[1]}
        )
    async with session_factory() as session:
        assert await org_today.today_from_yesterday(session, who.org, day, 14) == changed
    async with session_factory.begin() as session:
        await session.execute(
            text("UPDATE memberships SET created_at = :t WHERE organization_id = :o AND user_id = :u"),
            {"o": who.org, "u": newcomer, "t": ev.at(now + timedelta(days=1), 9)},
        )
    async with session_factory() as session:
        assert await org_today.today_from_yesterday(session, who.org, day, 14) is None


async def test_todays_activity_counters_equal_a_recount_whatever_changes_and_in_whatever_order(session_factory):
    """`analytics_live_gaps` / `analytics_live_starts` (migration 0023's triggers) against a recount
    from the rows, for the days they are kept for (two days before today's UTC date and later):
    seeded random days arriving out of order (late days relink the next one), the streak writer's
    upsert moving a day's first moment, one statement writing several learners' days, days
    deleted, learners joining, leaving, coming back, changing role, their membership or the
    learner deleted, and an organisation deleted with its counters."""
    rng = random.Random(2305)
    async with session_factory.begin() as session:
        orgs = [
            await session.scalar(text("INSERT INTO organizations (name) VALUES (:n) RETURNING id"), {"n": f"live {k}"})
            for k in range(2)
        ]
        users = [
            await session.scalar(
                text("INSERT INTO users (clerk_id) VALUES (:c) RETURNING id"), {"c": f"live_{uuid.uuid4().hex}"}
            )
            for _ in range(12)
        ]
        utc_today = await session.scalar(text("SELECT (now() AT TIME ZONE 'UTC')::date"))
    kept_from = utc_today - timedelta(days=2)

    def moment(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 1439))

    async def write(sql: str, **params) -> None:
        async with session_factory.begin() as session:
            await session.execute(text(sql), params)

    upsert = (
        "INSERT INTO learner_active_days (user_id, day, first_at, last_at) VALUES (:u, :d, :f, :f) "
        "ON CONFLICT (user_id, day) DO UPDATE SET first_at = least(learner_active_days.first_at, excluded.first_at), "
        "last_at = greatest(learner_active_days.last_at, excluded.last_at)"
    )
    # Per (organisation, day, key): the rows of live learner members, and the counters summed over shards.
    live = (
        "FROM learner_active_days a JOIN memberships m ON m.user_id = a.user_id AND m.role = 'learner' "
        "AND m.removed_at IS NULL WHERE m.organization_id = ANY(:orgs) AND a.day >= :kept"
    )
    pairs = {
        "gaps": (
            f"SELECT m.organization_id, a.day, coalesce(a.day - a.prev_day, 0), count(*) {live} GROUP BY 1, 2, 3",
            "SELECT organization_id, day, gap, sum(learners) FROM analytics_live_gaps "
            "WHERE organization_id = ANY(:orgs) AND day >= :kept GROUP BY 1, 2, 3 HAVING sum(learners) <> 0",
        ),
        "starts": (
            "SELECT m.organization_id, a.day, date_bin('1 minute', a.first_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), "
            f"coalesce(a.day - a.prev_day, 0) = 1, count(*) {live} GROUP BY 1, 2, 3, 4",
            "SELECT organization_id, day, minute, back_from_yesterday, sum(learners) FROM analytics_live_starts "
            "WHERE organization_id = ANY(:orgs) AND day >= :kept GROUP BY 1, 2, 3, 4 HAVING sum(learners) <> 0",
        ),
    }

    async def check(when: str) -> None:
        params = {"orgs": orgs, "kept": kept_from}
        async with session_factory() as session:
            for name, (rows, counters) in pairs.items():
                want = {tuple(r) for r in await session.execute(text(rows), params)}
                got = {tuple(r) for r in await session.execute(text(counters), params)}
                assert want, f"nothing to count after {when}: the comparison would hold on empty counters"
                assert got == want, f"{name} after {when}"

    for user in users[:8]:
        await write(
            "INSERT INTO memberships (organization_id, user_id, role) VALUES (:o, :u, 'learner')",
            o=rng.choice(orgs),
            u=user,
        )
    await write(
        "INSERT INTO learner_active_days (user_id, day, first_at, last_at) "
        "SELECT :u, d, d + interval '9 hours', d + interval '10 hours' FROM unnest(CAST(:ds AS date[])) d",
        u=users[0],
        ds=[utc_today, utc_today - timedelta(days=2), utc_today - timedelta(days=1)],
    )
    await check("one statement writing a learner's days out of order")
    alive = list(users)
    ops = ["day", "day", "day", "day", "bulk", "drop_day", "join", "leave", "return", "role", "drop_member"]
    for step in range(160):
        op = rng.choice(ops)
        user, org = rng.choice(alive), rng.choice(orgs)
        day = utc_today + timedelta(days=rng.choice([-30, -9, -3, -2, -2, -1, -1, -1, 0, 0, 0, 0, 1, 2]))
        if op == "day":
            await write(upsert, u=user, d=day, f=moment(day))
        elif op == "bulk":
            # Three learners' days and one learner's three days out of order, in one statement: the
            # later days are relinked by the earlier ones further down.
            picked = [*rng.sample(alive, 3), *[user] * 3]
            days = [utc_today - timedelta(days=rng.randint(0, 6)) for _ in picked[:3]]
            days += [utc_today, utc_today - timedelta(days=2), utc_today - timedelta(days=1)]
            await write(
                "INSERT INTO learner_active_days (user_id, day, first_at, last_at) "
                "SELECT u, d, d + interval '9 hours', d + interval '10 hours' "
                "FROM unnest(CAST(:us AS uuid[]), CAST(:ds AS date[])) AS x(u, d) ON CONFLICT DO NOTHING",
                us=picked,
                ds=days,
            )
        elif op == "drop_day":
            await write(
                "DELETE FROM learner_active_days WHERE user_id = :u AND day = "
                "(SELECT max(day) FROM learner_active_days WHERE user_id = :u)",
                u=user,
            )
        elif op == "join":
            await write(
                "INSERT INTO memberships (organization_id, user_id, role) VALUES (:o, :u, 'learner') "
                "ON CONFLICT (organization_id, user_id) DO NOTHING",
                o=org,
                u=user,
            )
        elif op == "leave":
            await write(
                "UPDATE memberships SET removed_at = now() WHERE organization_id = :o AND user_id = :u", o=org, u=user
            )
        elif op == "return":
            await write(
                "UPDATE memberships SET removed_at = NULL WHERE organization_id = :o AND user_id = :u", o=org, u=user
            )
        elif op == "role":
            await write(
                "UPDATE memberships SET role = CASE role WHEN 'learner' THEN 'tutor' ELSE 'learner' END "
                "WHERE organization_id = :o AND user_id = :u",
                o=org,
                u=user,
            )
        elif op == "drop_member":
            await write("DELETE FROM memberships WHERE organization_id = :o AND user_id = :u", o=org, u=user)
        if step % 40 == 39:
            await check(f"step {step} ({op})")
    await write("DELETE FROM users WHERE id = :u", u=alive.pop(0))
    await check("a learner deleted")
    await write("DELETE FROM organizations WHERE id = :o", o=orgs[1])
    async with session_factory() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM analytics_live_gaps WHERE organization_id = :o"), {"o": orgs[1]}
        )
    assert left == 0
    await check("an organisation deleted")
