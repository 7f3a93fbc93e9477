"""The learner's web app in a real Chromium against the real stack (Postgres, Temporal, worker,
API on a real port) and the scripted OpenAI server."""

from __future__ import annotations

import json
import re
import sys
import uuid
import zipfile
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import insert, select, update

from db.models import Notification, StudyTime, Topic, User
from studyflow.engines import BUNDLED_MODEL
from tests.support import source_files
from tests.support.app import make_settings
from tests.support.browser import (
    WEB_DIST,
    assert_accessible,
    assert_within_boxes,
    require_browser_prerequisites,
    sign_in,
    web_stack,
)
from tests.support.courses import unique_topic
from tests.support.polling import poll_until
from tests.support.scripted_openai import Reply, auto_option
from tests.support.study import fillers, valid_question

expect.set_options(timeout=30_000)
DOCUMENTS = Path(__file__).parent / "data" / "documents"


@pytest.fixture
async def open_stack(database_url, llm_server, tmp_path, temporal_env, session_factory):
    """Opens a whole stack for one test, with setting overrides. Its own model name is its own
    semantic-cache scope, so scripted replies are not answered from another test's cached notes."""
    chromium = require_browser_prerequisites()
    async with AsyncExitStack() as stacks:

        async def open_one(**overrides):
            settings = make_settings(
                database_url,
                llm_server,
                tmp_path,
                **{
                    "web_dist_dir": WEB_DIST,
                    "api_host": "127.0.0.1",
                    "openai_model": f"model-{uuid.uuid4().hex[:8]}",
                    **overrides,
                },
            )
            return await stacks.enter_async_context(web_stack(settings, temporal_env, session_factory, chromium))

        yield open_one


@pytest.fixture
async def stack(open_stack):
    return await open_stack()


async def _create_course(page: Page, topic: str) -> str:
    await page.get_by_role("link", name="New course", exact=True).first.click()
    await page.get_by_label("What do you want to learn?").fill(topic)
    await page.get_by_role("button", name="Create course").click()
    await expect(page).to_have_url(re.compile(r"/courses/[0-9a-f-]{36}$"))
    await expect(page.locator(".meta .badge").first).to_have_text("Ready")
    return page.url.rsplit("/", 1)[1]


async def _notify(session_factory, clerk_id: str, message: str) -> None:
    async with session_factory.begin() as session:
        user_id = await session.scalar(select(User.id).where(User.clerk_id == clerk_id))
        await session.execute(
            insert(Notification).values(user_id=user_id, kind="engagement", message=message, day=date(2026, 11, 24))
        )


async def test_a_learner_studies_a_whole_course_in_the_browser(stack, session_factory, user_a, user_b):
    context, page = await stack.new_page()
    await page.goto("/")
    await expect(page.get_by_label("Your name")).to_be_visible()
    await assert_accessible(page, "sign-in")
    await sign_in(page, user_a)
    await expect(page.get_by_text("No courses yet")).to_be_visible()
    await assert_accessible(page, "dashboard (empty)")

    await page.get_by_role("link", name="New course", exact=True).first.click()
    await assert_accessible(page, "new course form")
    topic = unique_topic("browser loop")
    course_id = await _create_course(page, topic)
    await expect(page.get_by_role("progressbar", name="Your progress")).to_have_attribute("aria-valuenow", "0")
    await assert_accessible(page, "course page")

    # Notes: opening a topic starts its notes (background notes are off here), rendered from markdown.
    await page.get_by_role("link", name=re.compile(r"^Topic 1\.1 of")).click()
    await expect(page.get_by_role("heading", name="Key points")).to_be_visible()
    await expect(page.get_by_text("queued")).to_have_count(0)
    await expect(page.get_by_text("explained step by step")).to_be_visible()
    await expect(page.locator(".markdown pre code")).to_contain_text("worked example")
    await assert_accessible(page, "topic notes")
    await page.get_by_role("link", name="Back to the course").click()

    # Flashcards: generate, flip with Space, then review three due cards with different ratings.
    await page.get_by_role("button", name="Make flashcards").click()
    await page.get_by_role("link", name="Study flashcards").click()
    card = page.locator(".card-face")
    front = await card.inner_text()
    assert front.startswith("Card 1 about")
    await expect(page.locator(".quality-note")).to_have_text("Quality-checked: 12 cards.")
    await page.keyboard.press("Space")
    await expect(card).to_have_text("Answer 1.")
    await assert_accessible(page, "flashcards")
    async with page.expect_download() as exported:
        await page.get_by_role("button", name="Export to Anki (.apkg)").click()
    deck = await exported.value
    assert deck.suggested_filename.endswith(".apkg")
    with zipfile.ZipFile(await deck.path()) as package:
        assert "collection.anki2" in package.namelist()

    await page.get_by_role("link", name="Review due cards").click()
    left = page.locator(".due-count")
    await expect(left).to_have_text(re.compile(r"^\d+ cards? left in this session$"))
    session_size = int((await left.inner_text()).split()[0])
    assert session_size >= 3
    await assert_accessible(page, "review session")
    # Each rating button says when it brings the card back (FSRS); "Again" keeps the card in the session.
    first_front = await page.locator(".review .card-face").inner_text()
    await page.keyboard.press("Space")
    await expect(page.locator(".card-back")).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile(r"^Again \(1\)\s*\d+ min$"))).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile(r"^Good \(3\)\s*\d+ (min|h|days?)$"))).to_be_visible()
    await assert_accessible(page, "review with the answer shown")
    await page.keyboard.press("1")
    await expect(page.locator(".card-back")).to_be_hidden()  # rated: the next card is up
    await expect(left).to_have_text(f"{session_size} cards left in this session")
    fronts = []
    for rated in range(session_size):
        await expect(left).to_have_text(re.compile(rf"^{session_size - rated} cards? left"))
        fronts.append(await page.locator(".review .card-face").inner_text())
        await page.keyboard.press("Space")
        await expect(page.locator(".card-back")).to_be_visible()
        await page.keyboard.press("4" if rated == 0 else "3")
        await expect(page.locator(".card-back")).to_be_hidden()
    assert fronts[-1] == first_front, "the card rated Again came back at the end of the session"
    summary = page.get_by_role("status").filter(has_text="Session done")
    await expect(summary).to_contain_text(f"{session_size + 1} reviews in")
    await expect(summary).to_contain_text("again 1")
    await expect(summary).to_contain_text(re.compile(r"Next review in \d+ min"))
    await assert_accessible(page, "review summary")

    # Quiz: all wrong, feedback with the right answers, then the remediation plan once it is ready.
    await page.goto(f"/courses/{course_id}")
    await page.get_by_role("button", name="Make a quiz").click()
    await page.get_by_role("link", name="Take the quiz").click()
    await expect(page.locator(".quality-note")).to_have_text("Quality-checked: 8 questions.")
    # One question at a time first, then the rest on one page.
    await page.get_by_label(auto_option(0, "A")).check()
    await page.get_by_role("button", name="Next question").click()
    await expect(page.get_by_text(re.compile(r"^Question 2 of \d+$"))).to_be_visible()
    await expect(page.get_by_label(auto_option(0, "A"))).to_have_count(0)
    await page.get_by_label("Show all questions on one page").check()
    questions = page.locator("fieldset.question")
    count = await questions.count()
    assert count > 1
    await expect(questions.first.get_by_label(auto_option(0, "A"))).to_be_checked()
    for i in range(1, count):
        await questions.nth(i).get_by_label(auto_option(i, "A")).check()
    await assert_accessible(page, "quiz")
    await page.get_by_role("button", name="Submit answers").click()
    await expect(page.get_by_role("heading", name=f"You scored 0 of {count} (0%)")).to_be_visible()
    await expect(page.locator(".feedback li.wrong")).to_have_count(count)
    await expect(page.locator(".feedback li").first).to_contain_text(f"correct answer: {auto_option(0, 'B')}")
    await expect(page.locator(".feedback .explanation").first).to_have_text("Because B is right.")
    await assert_accessible(page, "quiz results")

    # Practise what I missed: each answer checked at once, nothing recorded.
    await page.get_by_role("button", name="Practise what I missed").click()
    practice = page.locator("fieldset.question")
    await expect(practice).to_have_count(count)
    await practice.first.get_by_label(auto_option(0, "B")).check()
    await expect(practice.first.locator(".question-feedback")).to_contain_text("Right.")
    await practice.nth(1).get_by_label(auto_option(1, "A")).check()
    missed = practice.nth(1).locator(".question-feedback")
    await expect(missed).to_contain_text(f"Not quite. The answer is {auto_option(1, 'B')}")
    await assert_accessible(page, "practice")

    # Retake, with feedback after each question, and a warning before submitting unanswered ones.
    await page.get_by_role("button", name="Retake the whole quiz").click()
    await page.get_by_label("Tell me after each question whether I was right").check()
    await page.get_by_label(auto_option(0, "B")).check()
    await expect(page.locator(".question-feedback")).to_contain_text("Right.")
    await page.get_by_role("button", name="Submit answers").click()
    warning = page.get_by_role("alert").filter(has_text="not answered yet")
    await expect(warning).to_contain_text(f"{count - 1} questions are not answered yet")
    await assert_accessible(page, "unanswered warning")
    await warning.get_by_role("button", name="Submit anyway").click()
    await expect(page.get_by_role("heading", name=re.compile(rf"^You scored 1 of {count}"))).to_be_visible()
    await page.get_by_role("link", name="See your remediation plan").click()
    await expect(page.get_by_role("heading", name="Practice").first).to_be_visible()
    await expect(page.get_by_text("the common misunderstanding, corrected").first).to_be_visible()
    await assert_accessible(page, "remediation plan")

    # The attempt reaches the dashboard.
    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.locator(".attempt-list li")).to_have_count(2)
    await expect(page.locator(".attempt-list li").last).to_contain_text("0%")
    await expect(page.locator(".chart")).to_be_visible()
    await assert_accessible(page, "dashboard")

    # What finished while the learner was elsewhere is in the inbox, with a link to it.
    await page.goto("/notifications")
    await expect(page.get_by_text(re.compile(r"Your course “.+” is ready"))).to_be_visible()
    await expect(page.get_by_text(re.compile(r"Your quiz for “.+” is ready to take"))).to_be_visible()
    await page.get_by_role("button", name="Mark all read").click()
    await expect(page.get_by_text("0 unread")).to_be_visible()

    # A notification: unread badge, read it, the badge goes.
    await _notify(session_factory, user_a, "Ten minutes on your course today keeps the streak going.")
    await page.reload()
    await expect(page.get_by_label("1 unread")).to_be_visible()
    await expect(page.get_by_text("keeps the streak going")).to_be_visible()
    await assert_accessible(page, "notifications")
    await page.get_by_role("button", name="Mark read").click()
    await expect(page.get_by_text("0 unread")).to_be_visible()
    await expect(page.get_by_label("1 unread")).to_have_count(0)

    await page.goto("/account")
    # Billing is not configured here: no upgrade is offered that could not be bought.
    await expect(page.get_by_role("heading", name="Account")).to_be_visible()
    await expect(page.get_by_role("button", name="Upgrade to Pro")).to_have_count(0)
    await assert_accessible(page, "account")
    await page.goto(f"/courses/{course_id}")
    await expect(page.get_by_role("heading", name=re.compile("Chapter 1"))).to_be_visible()
    assert page.executed == []  # type: ignore[attr-defined]

    # Another learner opening the same URL sees nothing of it.
    other_context, other = await stack.new_page()
    await sign_in(other, user_b)
    await other.goto(f"/courses/{course_id}")
    await expect(other.get_by_role("heading", name="Course not found")).to_be_visible()
    await expect(other.get_by_text(topic)).to_have_count(0)
    await other_context.close()
    await context.close()


async def test_validation_and_quota_errors_are_shown_where_the_learner_looks(open_stack, user_a):
    stack = await open_stack(free_courses_per_day=1)
    context, page = await stack.new_page()
    await sign_in(page, user_a)
    await page.goto("/courses/new")
    topic = page.get_by_label("What do you want to learn?")
    await topic.fill("ab")
    await page.get_by_role("button", name="Create course").click()
    await expect(page.locator("#topic-error")).to_contain_text("at least three letters")
    await expect(topic).to_have_attribute("aria-invalid", "true")

    await _create_course(page, unique_topic("quota"))
    await page.goto("/courses/new")
    await page.get_by_label("What do you want to learn?").fill(unique_topic("over quota"))
    await page.get_by_role("button", name="Create course").click()
    notice = page.get_by_role("alert").filter(has_text="daily course limit reached")
    await expect(notice).to_contain_text("1 per day on the free plan")
    await expect(notice).to_contain_text(re.compile(r"You can try again (in \d+ (seconds|minutes)|at .+)\."))
    await expect(page).to_have_url(re.compile(r"/courses/new$"))
    await context.close()


async def test_a_learner_sets_a_goal_sees_the_pace_and_starts_a_suggested_course(stack, user_a):
    context, page = await stack.new_page()
    await sign_in(page, user_a)
    topic = unique_topic("goal")
    await _create_course(page, topic)
    await page.get_by_role("link", name="Goals", exact=True).click()
    await expect(page.get_by_text("No goals yet")).to_be_visible()
    await page.get_by_label("Goal", exact=True).select_option("mastery")
    await page.get_by_label("Mastery (%)").fill("80")
    await page.get_by_role("button", name="Set goal").click()
    goal = page.locator(".goal").first
    await expect(goal).to_contain_text(f"Reach 80% mastery in {topic}")
    await expect(goal.locator(".pace")).to_have_text("mastery 0% of 80%")
    await expect(goal.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    await assert_accessible(page, "goals")

    await goal.get_by_role("button", name="I have met this goal").click()
    await expect(goal.locator(".badge")).to_have_text("Met")
    suggestions = page.locator(".suggestions li")
    await expect(suggestions).to_have_count(3, timeout=30_000)
    first = (await suggestions.first.locator("strong").inner_text()).strip()
    await suggestions.first.get_by_role("button", name="Start this course").click()
    await expect(page).to_have_url(re.compile(r"/courses/[0-9a-f-]{36}$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text(first)
    await context.close()


SCRIPT = "<script>window.__xss = 'script'</script>"
IMG = "<img src=x onerror=\"window.__xss = 'img'\">"
LINK = "[open me](javascript:window.__xss='link')"


async def test_llm_text_with_html_and_script_links_is_shown_inert(stack, llm_server, session_factory, user_a):
    context, page = await stack.new_page()
    await sign_in(page, user_a)
    topic = unique_topic("xss")
    course_id = await _create_course(page, topic)

    llm_server.on(
        f"course on {topic}",
        [
            Reply.json(
                {
                    "cards": [
                        {"front": f"{SCRIPT} What runs?", "back": IMG, "topic_ref": "T1"},
                        {"front": "Plain card?", "back": "Plain answer.", "topic_ref": "T1"},
                        *fillers("flashcards", 4),
                    ]
                }
            )
        ],
    )
    await page.get_by_role("button", name="Make flashcards").click()
    await page.get_by_role("link", name="Study flashcards").click()
    await expect(page.locator(".card-face")).to_have_text(f"{SCRIPT} What runs?")
    await page.keyboard.press("Space")
    await expect(page.locator(".card-face")).to_have_text(IMG)

    llm_server.on(
        f"course on {topic}",
        [
            Reply.json(
                {
                    "questions": [
                        {
                            "question": f"Which is safe? {SCRIPT}",
                            "options": [IMG, "b", "c", "d"],
                            "answer": "b",
                            "explanation": f"{IMG} explained",
                            "key_points": ["k"],
                            "topic_ref": "T1",
                        },
                        *fillers("quiz", 3),
                    ]
                }
            )
        ],
    )
    await page.goto(f"/courses/{course_id}")
    await page.get_by_role("button", name="Make a quiz").click()
    await page.get_by_role("link", name="Take the quiz").click()
    await expect(page.locator("fieldset.question legend")).to_have_text(f"1. Which is safe? {SCRIPT}")
    await page.get_by_label(IMG).check()
    await page.get_by_role("button", name="Submit answers").click()
    await page.get_by_role("button", name="Submit anyway").click()  # the other questions are unanswered
    await expect(page.locator(".feedback .explanation").first).to_have_text(f"{IMG} explained")

    # Matched on the notes request only: the quiz's remediation plan is being written meanwhile.
    # Notes with raw HTML are a model's failure (issue 30): never served, failed with the reason.
    html_notes = f"Careful here. {SCRIPT} and {IMG} and {LINK} and [a real link](https://example.org/docs)."
    llm_server.on(
        f"Write study notes for the topic 'Topic 1.1 of {topic}'",
        [
            Reply.json(
                {
                    "explanation": html_notes,
                    "key_points": ["one", "two", "three"],
                    "example": "",
                    "interview_questions": ["q1?", "q2?", "q3?"],
                }
            )
        ],
        repeat_last=True,
    )
    await page.goto(f"/courses/{course_id}")
    await page.get_by_role("link", name=re.compile(r"^Topic 1\.1 of")).click()
    await expect(page.get_by_role("alert")).to_contain_text("it left HTML tags in the text")
    await expect(page.get_by_role("alert")).to_contain_text("connect a capable model")

    # Notes that hold HTML anyway (written before the check, or by an operator) still render inert.
    async with session_factory.begin() as session:
        await session.execute(
            update(Topic)
            .where(Topic.id == uuid.UUID(page.url.rsplit("/", 1)[1]))
            .values(notes_md=f"# Topic\n\n{html_notes}\n", status="completed", error=None)
        )
    await page.reload()
    notes = page.locator(".markdown")
    await expect(notes).to_contain_text("Careful here.")
    await expect(notes).to_contain_text(SCRIPT)
    await expect(notes).to_contain_text(IMG)
    assert await notes.locator("script, img, iframe").count() == 0
    assert await notes.locator("a[href^='javascript']").count() == 0
    await expect(notes.get_by_text("open me")).to_be_visible()
    await expect(notes.get_by_role("link", name="a real link")).to_have_attribute("href", "https://example.org/docs")

    await page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert await page.evaluate("() => window.__xss") is None
    assert page.executed == []  # type: ignore[attr-defined]
    await context.close()


async def _watch_course_being_generated(page: Page, topic: str) -> tuple[int, float]:
    """Creates a course whose outline takes a while; returns API requests made and seconds taken."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/v1/" in r.url and "/v1/events" not in r.url else None)
    await page.goto("/courses/new")
    await page.get_by_label("What do you want to learn?").fill(topic)
    started = len(requests)
    clock = await page.evaluate("() => performance.now()")
    await page.get_by_role("button", name="Create course").click()
    # Polling backs off to 15 s between reads: allow for one full interval after the outline.
    await expect(page.locator(".meta .badge").first).to_have_text("Ready", timeout=(GENERATION_SECONDS + 30) * 1000)
    elapsed = (await page.evaluate("() => performance.now()") - clock) / 1000
    return len(requests) - started, elapsed


GENERATION_SECONDS = 8


async def test_the_app_follows_generation_live_and_falls_back_to_polling_without_the_stream(
    open_stack, llm_server, user_a
):
    stack = await open_stack(llm_timeout_seconds=GENERATION_SECONDS * 2)
    await _follow_live_then_polling(stack, llm_server, user_a)


async def _follow_live_then_polling(stack, llm_server, user_a):
    slow = unique_topic("live")
    llm_server.on(f"course on: {slow}", [Reply.auto(delay=GENERATION_SECONDS)])
    context, page = await stack.new_page()
    await sign_in(page, user_a)
    await expect(page.locator(".live-status")).to_have_text("Live")
    live_requests, live_seconds = await _watch_course_being_generated(page, slow)
    await context.close()

    cut = unique_topic("polling")
    llm_server.on(f"course on: {cut}", [Reply.auto(delay=GENERATION_SECONDS)])
    context, page = await stack.new_page()
    await page.route("**/v1/events", lambda route: route.abort())
    await sign_in(page, user_a)
    await expect(page.locator(".live-status")).to_have_text("Polling")
    polled_requests, polled_seconds = await _watch_course_being_generated(page, cut)
    await context.close()
    print(
        f"\nwatching a course generate: with the event stream {live_requests} API requests in {live_seconds:.1f}s; "
        f"polling only {polled_requests} in {polled_seconds:.1f}s"
    )


async def test_a_learner_builds_a_course_from_their_lecture_and_sees_where_questions_come_from(stack, user_a, tmp_path):
    lecture = tmp_path / "lecture-3.pdf"
    lecture.write_bytes(
        source_files.pdf(
            [
                "Inner joins return only the rows whose keys match in both tables.",
                "A left outer join keeps every row of the left table and fills the gaps with NULL.",
            ]
        )
    )
    fake = tmp_path / "slides.pdf"
    fake.write_bytes(source_files.png())
    context, page = await stack.new_page()
    await sign_in(page, user_a)
    await page.get_by_role("link", name="My material").click()
    await expect(page.get_by_text("Nothing here yet.")).to_be_visible()
    await assert_accessible(page, "my material (empty)")

    # A file that lies about its type is refused with the reason, and nothing is added.
    await page.get_by_label(re.compile("^Add a file")).set_input_files(str(fake))
    await page.get_by_role("button", name="Upload").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "slides.pdf is named like a PDF but the file is a PNG image"
    )

    await page.get_by_label(re.compile("^Add a file")).set_input_files(str(lecture))
    await page.get_by_role("button", name="Upload").click()
    entry = page.locator(".source").filter(has_text="lecture-3.pdf")
    await expect(entry.locator(".badge")).to_have_text("Ready")
    await expect(entry).to_contain_text("2 pages")
    await assert_accessible(page, "my material")
    await entry.get_by_role("checkbox").check()
    await page.get_by_role("button", name="Build a course from 1 source").click()

    await expect(page).to_have_url(re.compile(r"/courses/[0-9a-f-]{36}$"))
    await expect(page.locator(".meta .badge").first).to_have_text("Ready")
    await expect(page.get_by_text("Built from your material: lecture-3.pdf")).to_be_visible()
    await page.get_by_role("button", name="Make a quiz").click()
    await page.get_by_role("link", name="Take the quiz").click()
    await expect(page.locator(".citations").first).to_contain_text(re.compile(r"from: lecture-3\.pdf, p\. [12]"))
    await assert_accessible(page, "quiz with citations")
    await context.close()


async def test_a_learner_asks_the_tutor_about_their_notes_and_sees_the_sources(stack, user_a, tmp_path):
    notes = tmp_path / "recursion.md"
    notes.write_text(
        "# Recursion\n\n## Base case\nEvery recursive function needs a base case: an input it answers directly, "
        "without calling itself. Without one the recursion never stops.\n\n## Memoisation\nMemoisation stores "
        "earlier results so no input is computed twice.\n"
    )
    context, page = await stack.new_page()
    await sign_in(page, user_a)
    await page.get_by_role("link", name="My material").click()
    await page.get_by_label(re.compile("^Add a file")).set_input_files(str(notes))
    await page.get_by_role("button", name="Upload").click()
    await expect(page.locator(".source").filter(has_text="recursion.md").locator(".badge")).to_have_text("Ready")

    await page.get_by_role("link", name="Ask a tutor").click()
    await page.get_by_role("button", name="New conversation").click()
    await expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}$"))
    await page.get_by_label("Your question").fill("What does every recursive function need in order to stop?")
    await page.get_by_role("button", name="Ask").click()
    answer = page.locator(".message.tutor").last
    await expect(answer).to_contain_text("According to your material")
    await expect(answer.get_by_role("list", name="Where this comes from")).to_contain_text("recursion.md, § Base case")
    await assert_accessible(page, "tutor chat")

    await page.get_by_label("Your question").fill("Who painted the Mona Lisa?")
    await page.get_by_role("button", name="Ask").click()
    await expect(page.locator(".message.tutor").last).to_contain_text("That is not in your material")
    await context.close()


async def test_with_the_bundled_model_a_pdf_becomes_a_course_quoted_from_it(open_stack, llm_server, user_a, tmp_path):
    """Issue 30, the default install: the model is the bundled one, so CONTENT_ENGINE=auto makes
    everything of a course from a PDF out of the PDF itself — and never calls the model."""
    stack = await open_stack(openai_model=BUNDLED_MODEL, quiz_questions=4, flashcards_per_set=6)
    calls_before = len(llm_server.calls())
    sys.path.insert(0, str(DOCUMENTS))
    from build import build

    pdf = build("tcp-congestion", tmp_path)
    [entry] = [json.loads(line) for line in (DOCUMENTS / "manifest.jsonl").open() if '"tcp-congestion"' in line]
    context, page = await stack.new_page()
    await sign_in(page, user_a)
    notice = page.get_by_role("complementary", name="Demo mode")
    await expect(notice).to_contain_text("no real language model is connected")
    await expect(notice).to_contain_text("OPENAI_BASE_URL")
    await assert_accessible(page, "dashboard in demo mode")

    await page.get_by_role("link", name="My material").click()
    await page.get_by_label(re.compile("^Add a file")).set_input_files(str(pdf))
    await page.get_by_role("button", name="Upload").click()
    source = page.locator(".source").filter(has_text="tcp-congestion.pdf")
    await expect(source.locator(".badge")).to_have_text("Ready", timeout=60_000)
    await source.get_by_role("checkbox").check()
    await page.get_by_role("button", name="Build a course from 1 source").click()

    # The course's chapters are the PDF's sections, and it says who wrote them.
    await expect(page).to_have_url(re.compile(r"/courses/[0-9a-f-]{36}$"))
    await expect(page.locator(".meta .badge").first).to_have_text("Ready")
    headings = page.locator("section.chapter h2")
    await expect(headings).to_have_text([f"{i + 1}. {c['title']}" for i, c in enumerate(entry["chapters"])])
    await expect(page.get_by_text("outline from your material")).to_be_visible()
    course_url = page.url

    await page.get_by_role("button", name="Make flashcards").click()
    await page.get_by_role("link", name="Study flashcards").click()
    await expect(page.locator(".quality-note")).to_contain_text("From your material:")
    await expect(page.locator(".citations").first).to_contain_text(re.compile(r"from: tcp-congestion\.pdf, p\. \d"))
    await assert_accessible(page, "flashcards from the material")

    await page.goto(course_url)
    await page.get_by_role("button", name="Make a quiz").click()
    await page.get_by_role("link", name="Take the quiz").click()
    await expect(page.locator(".citations").first).to_contain_text(re.compile(r"from: tcp-congestion\.pdf, p\. \d"))
    await expect(page.locator(".quality-note")).not_to_contain_text("Quality-checked")

    await page.get_by_role("link", name="Ask a tutor").click()
    await page.get_by_role("button", name="New conversation").click()
    await page.get_by_label("Your question").fill("How much does CUBIC cut its window when it detects a loss?")
    await page.get_by_role("button", name="Ask").click()
    answer = page.locator(".message.tutor").last
    await expect(answer).to_contain_text("Your material says")
    await expect(answer).to_contain_text("CUBIC reduces the window by a factor of 0.7")
    await expect(answer.get_by_role("list", name="Where this comes from")).to_contain_text("tcp-congestion.pdf, p.")
    await assert_accessible(page, "tutor answer quoted from the material")
    await context.close()
    assert len(llm_server.calls()) == calls_before, "extractive work never calls the model"


LONG_QUESTION = (
    "Which of these statements about the valid question 1 is correct when it is read on a small phone "
    "screen, where its title wraps onto two or three lines?"
)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "390px"])
async def test_the_first_hour_of_a_new_learner(stack, llm_server, session_factory, phone):
    """Issue 36's walk through the app as a new learner, on a desktop and on a 390 px phone: a name
    with a space, readable messages next to their fields, a "not found" for a bad link, notes that
    start when a topic is opened with honest waiting, a toast when a quiz is ready elsewhere, a
    review tapped and swiped on a phone, the chat about one course, nothing offered that is not
    configured; every screen axe-clean, inside its boxes, and no console error."""
    context, page = await stack.new_page(phone=phone)
    screens = 0

    async def check(screen: str) -> None:
        nonlocal screens
        screens += 1
        await assert_accessible(page, screen)
        await assert_within_boxes(page, screen)

    # Sign-in: any name a person types; the header shows it.
    name = f"Maria Lopez {uuid.uuid4().hex[:6]}"
    await page.goto("/")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("#dev-user-error")).to_have_text("Enter your name.")
    await check("sign-in")
    await page.get_by_label("Your name").fill(name)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Your studies")).to_be_visible()
    await expect(page.locator(".user-name")).to_have_text(name)
    await check("dashboard")

    menu = page.get_by_role("button", name="Menu")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="New course")
    if phone:  # nine links fold behind one button
        await expect(nav_link).to_be_hidden()
        await expect(menu).to_have_attribute("aria-expanded", "false")
        await menu.click()
        await expect(menu).to_have_attribute("aria-expanded", "true")
        await check("menu open")
    else:
        await expect(menu).to_be_hidden()
    await nav_link.click()
    if phone:
        await expect(nav_link).to_be_hidden()  # choosing a page folds the menu again

    # A topic too short: the sentence next to the field, said before asking the API.
    await page.get_by_label("What do you want to learn?").fill("ab")
    await page.get_by_role("button", name="Create course").click()
    await expect(page.locator("#topic-error")).to_have_text(
        "Enter a topic of at least three letters, for example “SQL joins”."
    )
    await check("new course with an error")
    topic = unique_topic("first hour")
    await page.get_by_label("What do you want to learn?").fill(topic)
    await page.get_by_role("button", name="Create course").click()
    await expect(page.locator(".meta .badge").first).to_have_text("Ready")
    course_url = page.url
    await expect(page.get_by_role("heading", level=1)).to_have_text(topic)  # one name everywhere
    await expect(page.get_by_role("progressbar", name="Your progress")).to_have_attribute("aria-valuenow", "0")
    await check("course page")

    # Opening a topic starts its notes; the wait says how long so far, never "queued".
    llm_server.on(f"Write study notes for the topic 'Topic 1.1 of {topic}'", [Reply.auto(delay=2)])
    await page.get_by_role("link", name=re.compile(r"^Topic 1\.1 of")).click()
    await expect(page.get_by_text(re.compile(r"\d+ s so far"))).to_be_visible()
    await expect(page.get_by_text(re.compile("queued", re.I))).to_have_count(0)
    await check("notes being written")
    await expect(page.get_by_role("heading", name="Key points")).to_be_visible()
    await check("notes")
    await page.wait_for_timeout(2500)  # reading: counted as study time when the learner leaves
    await page.goto(course_url)
    await expect(page.locator(".topic-list .badge").first).to_have_text("Notes ready")

    async def notes_seconds() -> int | None:
        async with session_factory() as session:
            return await session.scalar(
                select(StudyTime.seconds)
                .join(User, User.id == StudyTime.user_id)
                .where(User.clerk_id == name.replace(" ", "-"))
                .where(StudyTime.activity == "notes")
            )

    # Sent on leaving the page by a keepalive request nobody waits for: it may land after the next
    # page has drawn, so the row is waited for (a two-process run lost that race).
    studied = await poll_until(notes_seconds, lambda seconds: seconds is not None, timeout=15)
    assert studied is not None and studied >= 2

    # Flashcards, then a quiz (slow, with a long question) that finishes while the learner is elsewhere.
    await page.get_by_role("button", name="Make flashcards").click()
    await expect(page.get_by_role("link", name="Study flashcards")).to_be_visible()
    quiz = {"questions": [valid_question(1, question=LONG_QUESTION), *fillers("quiz", 7)]}
    # The quiz's own prompt: other prompts name the course too (the gate's repair of flagged
    # items), and one arriving after the flashcards' link showed once took this reply. The delay
    # stays under the stack's 3 s LLM timeout: at 3 s the call raced it, and the retry got an
    # ordinary quiz (the clean-clone run's only failures).
    llm_server.on(f"course on {topic}.\nTopics (cite one per question", [Reply.json(quiz, delay=2)])
    await page.get_by_role("button", name="Make a quiz").click()
    await expect(page.get_by_text(re.compile(r"Writing your quiz…"))).to_be_visible()
    await check("quiz being written")
    if phone:
        await _open_from_menu(page, "Goals")
    else:
        await page.get_by_role("link", name="Goals", exact=True).click()
    toast = page.locator(".toast").filter(has_text="is ready to take")
    await expect(toast).to_be_visible(timeout=30_000)
    await check("goals with a ready toast")

    # A goal without a date: the sentence next to the date field, not a parser's wording.
    await page.get_by_role("button", name="Set goal").click()
    await expect(page.locator("#goal-due-error")).to_have_text("Choose a date.")
    await expect(page.get_by_label("By", exact=True)).to_have_attribute("aria-invalid", "true")
    await toast.get_by_role("link", name="Open it").click()
    await expect(page.locator("fieldset.question legend").first).to_have_text(f"1. {LONG_QUESTION}")
    await page.get_by_label("Show all questions on one page").check()
    await check("quiz with a long question")
    # The quiz on this screen size too: a warning before unanswered questions go in, the results,
    # practising what was missed (each answer judged at once), and a retake.
    questions = page.locator("fieldset.question")
    count = await questions.count()
    await questions.first.get_by_label(auto_option(1, "B")).check()
    await page.get_by_role("button", name="Submit answers").click()
    warning = page.get_by_role("alert").filter(has_text="not answered yet")
    await expect(warning).to_contain_text(f"{count - 1} questions are not answered yet")
    await check("unanswered warning")
    await warning.get_by_role("button", name="Submit anyway").click()
    await expect(page.get_by_role("heading", name=re.compile(rf"^You scored 1 of {count}"))).to_be_visible()
    await check("quiz results")
    await page.get_by_role("button", name="Practise what I missed").click()
    practice = page.locator("fieldset.question")
    await expect(practice).to_have_count(count - 1)
    await practice.first.locator("input[type=radio]").first.check()
    await expect(practice.first.locator(".question-feedback")).to_have_text(re.compile(r"^(Right\.|Not quite\.)"))
    await check("practising what was missed")
    await page.get_by_role("button", name="Retake the whole quiz").click()
    await expect(page.get_by_label("Tell me after each question whether I was right")).to_be_visible()
    await check("retaking the quiz")

    # Review on the phone: tap to see the answer, swipe left for "Again".
    await page.goto("/review")
    card = page.locator(".review .card")
    left = page.locator(".due-count")
    await expect(left).to_have_text(re.compile(r"^\d+ cards left in this session$"))
    before = await left.inner_text()
    if phone:
        await expect(page.locator(".hint")).to_contain_text("Tap the card")
        await card.tap()
        await expect(page.locator(".card-back")).to_be_visible()
        await check("review on a phone")
        box = await card.bounding_box()
        y = box["y"] + box["height"] / 2
        await page.mouse.move(box["x"] + box["width"] * 0.8, y)
        await page.mouse.down()
        await page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=5)
        await page.mouse.up()
    else:
        await expect(page.locator(".hint")).to_contain_text("Space shows the answer")
        await page.keyboard.press("Space")
        await expect(page.locator(".card-back")).to_be_visible()
        await check("review")
        await page.keyboard.press("1")
    await expect(page.locator(".card-back")).to_be_hidden()
    await expect(left).to_have_text(before)  # "Again" keeps the card in the session

    # The chat about this course; nothing offered that is not configured.
    await page.goto(course_url)
    await page.get_by_role("link", name="Ask about this course").click()
    await expect(page.get_by_label("About")).to_have_value(course_url.rsplit("/", 1)[1])
    await check("chat list")
    await page.get_by_role("button", name="New conversation").click()
    await expect(page.get_by_label("Your question")).to_be_visible()
    await page.goto("/chat")
    await expect(page.locator(".chat-list li").first).to_contain_text(topic)
    await page.goto("/account")
    await expect(page.get_by_role("heading", name="Account")).to_be_visible()
    await expect(page.get_by_role("button", name="Upgrade to Pro")).to_have_count(0)
    await check("account")
    await page.goto("/notifications")
    await expect(page.get_by_text(re.compile(r"Your flashcards for “.+” are ready"))).to_be_visible()
    await check("notifications")

    # A malformed course link: "not found", without a "Try again" that cannot help.
    await page.goto("/courses/not-a-course")
    await expect(page.get_by_role("heading", name="Course not found")).to_be_visible()
    await expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    await check("course not found")

    # The measurement finds what it looks for: a box wider than the screen is reported.
    await page.evaluate(
        "() => { const wide = document.createElement('p'); wide.style.width = '2000px';"
        " wide.textContent = 'too wide'; document.querySelector('main').append(wide); }"
    )
    with pytest.raises(AssertionError, match="too wide"):
        await assert_within_boxes(page, "a planted wide paragraph")

    assert page.executed == []  # type: ignore[attr-defined]
    # The one expected: the browser logs the bad link's 404 itself.
    errors = [e for e in page.console_errors if "status of 404" not in e]  # type: ignore[attr-defined]
    assert errors == [], errors
    assert screens >= 14
    await context.close()


async def _open_from_menu(page: Page, link: str) -> None:
    await page.get_by_role("button", name="Menu").click()
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=link, exact=True).click()


async def test_a_written_answer_goes_to_the_tutor_who_grades_it_and_the_learner_sees_the_feedback(
    open_stack, session_factory, user_a
):
    """Issue 34: a learner answers a short-answer item → the grader is unsure, so it is routed →
    the tutor grades it in the queue with the keyboard → the learner sees the final grade and the
    per-point feedback quoting their answer."""
    from db.models import StudyContent
    from tests.support.grading import PHOTOSYNTHESIS, link_tutor

    stack = await open_stack(grading_confidence_threshold=1.01, grading_llm_confidence_threshold=1.01)
    tutor = f"tutor_{uuid.uuid4().hex[:10]}"
    learner_context, learner = await stack.new_page()
    tutor_context, tutor_page = await stack.new_page()
    console_errors: list[str] = []
    for page in (learner, tutor_page):
        page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    await sign_in(learner, user_a)
    await sign_in(tutor_page, tutor)
    course_id = await _create_course(learner, unique_topic("written answers"))
    async with session_factory() as session:
        ids = dict(
            (await session.execute(select(User.clerk_id, User.id).where(User.clerk_id.in_([user_a, tutor])))).all()
        )
    await link_tutor(session_factory, ids[user_a], ids[tutor])
    async with session_factory.begin() as session:
        topic = await session.scalar(select(Topic).where(Topic.course_id == uuid.UUID(course_id)).limit(1))
        quiz = StudyContent(
            course_id=uuid.UUID(course_id),
            type="quiz",
            status="completed",
            payload={"questions": [{**PHOTOSYNTHESIS, "topic_id": str(topic.id), "topic_title": topic.title}]},
            model="scripted",
            served_from="llm",
        )
        session.add(quiz)
        await session.flush()
        quiz_id = quiz.id

    await learner.goto(f"/quizzes/{quiz_id}")
    answer = "Chlorophyll takes in light. Then water gets split and oxygen is given off."
    await learner.get_by_label(re.compile("light-dependent reactions")).fill(answer)
    await assert_accessible(learner, "quiz with a written answer")
    await learner.get_by_role("button", name="Submit answers").click()
    await expect(learner.get_by_role("heading", name="Your answers are being graded")).to_be_visible()
    await expect(learner.get_by_text("Your tutor is reviewing this answer.")).to_be_visible()
    await assert_accessible(learner, "written answer waiting for the tutor")

    await tutor_page.goto("/")
    await tutor_page.get_by_role("link", name=re.compile("^To grade")).click()
    await expect(tutor_page.get_by_role("heading", name=PHOTOSYNTHESIS["question"])).to_be_visible()
    await expect(tutor_page.locator(".learner-answer")).to_contain_text("water gets split")
    await assert_accessible(tutor_page, "grading queue")
    # Keyboard only: full marks for the first two points, half for the third, then submit.
    for key in ("1", "1", "h", "Enter"):
        await tutor_page.keyboard.press(key)
    await expect(tutor_page.get_by_text("Nothing to grade")).to_be_visible()

    await expect(learner.get_by_text("Graded by your tutor.")).to_be_visible(timeout=30_000)
    await expect(learner.get_by_text(re.compile(r"^75% of the key points"))).to_be_visible()
    await expect(learner.get_by_role("heading", name="You scored 75%")).to_be_visible()
    await expect(learner.locator(".rubric-feedback li")).to_have_count(3)
    await expect(learner.locator(".rubric-feedback li").first).to_contain_text("Covered")
    await expect(learner.get_by_text("A model answer:")).to_be_visible()
    await assert_accessible(learner, "written answer graded")
    assert learner.executed == [] and tutor_page.executed == []  # type: ignore[attr-defined]
    assert console_errors == []
    await learner_context.close()
    await tutor_context.close()
