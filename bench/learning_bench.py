"""Dashboard and attempt-submission latency (issue 5) for a heavy learner: 50 courses, 500 quiz
attempts, 2,000 flashcards. The dashboard's one-query read is compared, in the same run and
process, with the same read done naively (a query per row, as an ORM loop would).

Run: `.venv/bin/python -m bench.learning_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, insert, select

from api.dev_auth import ensure_keypair, mint_session_token
from api.routes.dashboard import _DASHBOARD
from bench.load import percentile, run_load
from bench.stack import BenchStack
from db.engine import create_engine, create_session_factory
from db.models import (
    Course,
    FlashcardState,
    QuizAttempt,
    StudyContent,
    Topic,
    TopicMastery,
    User,
)
from studyflow.settings import Settings

COURSES, ATTEMPTS, CARDS = 50, 500, 2000


async def seed(sessions, clerk_id: str) -> tuple[uuid.UUID, uuid.UUID, list[str]]:
    rng = random.Random(7)
    async with sessions.begin() as session:
        user_id = await session.scalar(insert(User).values(clerk_id=clerk_id, streak_current=3).returning(User.id))
        courses = [uuid.uuid4() for _ in range(COURSES)]
        await session.execute(
            insert(Course),
            [
                {
                    "id": c,
                    "owner_id": user_id,
                    "topic": f"subject {i}",
                    "course_type": "practical",
                    "difficulty": "beginner",
                    "status": "ready",
                    "topics_total": 9,
                    "topics_completed": i % 9,
                }
                for i, c in enumerate(courses)
            ],
        )
        topics = [uuid.uuid4() for _ in range(COURSES * 9)]
        await session.execute(
            insert(Topic),
            [
                {
                    "id": t,
                    "course_id": courses[i // 9],
                    "chapter_index": (i % 9) // 3,
                    "chapter_title": "c",
                    "topic_index": i % 3,
                    "title": f"topic {i}",
                    "status": "completed",
                }
                for i, t in enumerate(topics)
            ],
        )
        questions = [
            {
                "id": f"q{i + 1}",
                "question": f"Q{i}?",
                "options": ["a", "b", "c", "d"],
                "answer_index": 1,
                "explanation": "b",
                "key_points": ["b"],
                "topic_id": str(topics[i]),
            }
            for i in range(8)
        ]
        quizzes, card_sets = [], []
        for i, course in enumerate(courses):
            quiz = await session.scalar(
                insert(StudyContent)
                .values(course_id=course, type="quiz", status="completed", payload={"questions": questions})
                .returning(StudyContent.id)
            )
            quizzes.append(quiz)
            cards = [
                {"id": f"c{j + 1}", "front": f"front {j}", "back": "b", "topic_id": str(topics[i * 9])}
                for j in range(CARDS // COURSES)
            ]
            card_sets.append(
                await session.scalar(
                    insert(StudyContent)
                    .values(course_id=course, type="flashcards", status="completed", payload={"cards": cards})
                    .returning(StudyContent.id)
                )
            )
        now = datetime.now(UTC)
        await session.execute(
            insert(QuizAttempt),
            [
                {
                    "user_id": user_id,
                    "study_content_id": quizzes[i % COURSES],
                    "course_id": courses[i % COURSES],
                    "answers": {},
                    "score": rng.randint(0, 8),
                    "total": 8,
                    "percentage": 50,
                    "feedback": [],
                    "created_at": now - timedelta(minutes=i),
                }
                for i in range(ATTEMPTS)
            ],
        )
        await session.execute(
            insert(FlashcardState),
            [
                {
                    "user_id": user_id,
                    "study_content_id": card_sets[i % COURSES],
                    "card_key": f"c{i // COURSES + 1}",
                    "fsrs_card": {"state": 2},
                    "due_at": now + timedelta(days=rng.randint(-5, 5)),
                }
                for i in range(CARDS // 2)
            ],
        )
        await session.execute(
            insert(TopicMastery), [{"user_id": user_id, "topic_id": t, "mastery": rng.random()} for t in topics[:200]]
        )
    return user_id, quizzes[0], [q["id"] for q in questions]


async def naive_dashboard(session, user_id: uuid.UUID, now: datetime) -> dict:
    """The same read the ORM way: a query per row."""
    user = await session.get(User, user_id)
    courses = (await session.scalars(select(Course).where(Course.owner_id == user_id))).all()
    course_rows, due = [], 0
    for course in courses:
        completed = await session.scalar(
            select(func.count()).where(Topic.course_id == course.id, Topic.status == "completed")
        )
        course_rows.append((course.id, completed))
        sets = (
            await session.scalars(
                select(StudyContent).where(StudyContent.course_id == course.id, StudyContent.type == "flashcards")
            )
        ).all()
        for card_set in sets:
            for card in card_set.payload["cards"]:
                state = await session.scalar(
                    select(FlashcardState).where(
                        FlashcardState.user_id == user_id,
                        FlashcardState.study_content_id == card_set.id,
                        FlashcardState.card_key == card["id"],
                    )
                )
                due += state is None or state.due_at <= now
    attempts = (await session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user_id))).all()
    recent = sorted(attempts, key=lambda a: a.created_at, reverse=True)[:5]
    mastery = (await session.scalars(select(TopicMastery).where(TopicMastery.user_id == user_id))).all()
    weak = sorted(mastery, key=lambda m: m.mastery)[:5]
    return {"due": due, "courses": len(course_rows), "recent": len(recent), "weak": len(weak), "user": user.id}


async def time_calls(call, repeat: int) -> tuple[float, float]:
    latencies = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - started) * 1000)
    return percentile(latencies, 50), percentile(latencies, 99)


async def run(repeat: int) -> None:
    with BenchStack(start_worker=False, extra_env={"RATE_LIMIT_BURST": "100000"}) as stack:
        engine = create_engine(stack.database_url)
        sessions = create_session_factory(engine)
        clerk_id = "bench-heavy-learner"
        user_id, quiz_id, question_ids = await seed(sessions, clerk_id)
        now = datetime.now(UTC)

        async def one_query():
            async with sessions() as session:
                return (await session.execute(_DASHBOARD, {"user_id": user_id, "now": now})).mappings().one()

        async def naive():
            async with sessions() as session:
                return await naive_dashboard(session, user_id, now)

        fast, slow = await one_query(), await naive()
        assert fast["due_cards"] == slow["due"], (fast["due_cards"], slow["due"])
        query_p = await time_calls(one_query, repeat)
        naive_p = await time_calls(naive, max(3, repeat // 20))

        settings = Settings(_env_file=None, data_dir=stack.data_dir)
        private_pem, _ = ensure_keypair(settings.dev_key_dir)
        headers = {"Authorization": f"Bearer {mint_session_token(private_pem, clerk_id)}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.api_port}", timeout=30) as http:

            async def dashboard(_: int) -> None:
                assert (await http.get("/v1/dashboard", headers=headers)).status_code == 200

            async def attempt(_: int) -> None:
                response = await http.post(
                    f"/v1/quizzes/{quiz_id}/attempts",
                    headers=headers,
                    json={"answers": {q: 1 for q in question_ids}, "duration_seconds": 60},
                )
                assert response.status_code == 201, response.text

            for _ in range(5):
                await dashboard(0)
            http_dashboard = await run_load(dashboard, repeat, 1)
            http_attempt = await run_load(attempt, repeat, 1)
            attempts_after = await one_query()
        await engine.dispose()

    print(f"\nlearning-loop benchmark: {COURSES} courses, {ATTEMPTS} attempts, {CARDS} cards")
    print(f"dashboard read, one query (in process)      p50={query_p[0]:8.2f} ms  p99={query_p[1]:8.2f} ms")
    print(f"dashboard read, per-row queries (in process) p50={naive_p[0]:8.2f} ms  p99={naive_p[1]:8.2f} ms")
    print(f"  naive / one-query p50 ratio: {naive_p[0] / query_p[0]:.0f}x")
    print(http_dashboard.line("GET /v1/dashboard (HTTP)"))
    print(http_attempt.line("POST /v1/quizzes/{id}/attempts (HTTP)"))
    print(f"  (quiz attempts recorded after the run: {attempts_after['quiz_attempts']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200)
    asyncio.run(run(parser.parse_args().repeat))


if __name__ == "__main__":
    main()
