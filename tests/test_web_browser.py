"""The learner's web app in a real Chromium against the real stack (Postgres, Temporal, worker,
API on a real port) and the scripted OpenAI server."""

from __future__ import annotations

import json
import os
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

from db.models import Notification, Topic, User
from studyflow.engines import BUNDLED_MODEL
from tests.support import source_files
from tests.support.app import make_settings
from tests.support.browser import WEB_DIST, assert_accessible, require_browser_prerequisites, sign_in, web_stack
from tests.support.courses import unique_topic
from tests.support.scripted_openai import Reply, auto_option
from tests.support.study import fillers

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


async def _screenshot(page: Page, name: str) -> None:
    # `make screenshots` points this at docs/ to refresh the README's pictures.
    target = os.environ.get("STUDYFLOW_SCREENSHOT_DIR")
    if target:
        await page.screenshot(path=str(Path(target) / name), full_page=True)


async def test_a_learner_studies_a_whole_course_in_the_browser(stack, session_factory, user_a, user_b):
    context, page = await stack.new_page()
    await page.goto("/")
    await expect(page.get_by_label("Continue as")).to_be_visible()
    await assert_accessible(page, "sign-in")
    await sign_in(page, user_a)
    await expect(page.get_by_text("No courses yet")).to_be_visible()
    await assert_accessible(page, "dashboard (empty)")

    await page.get_by_role("link", name="New course", exact=True).first.click()
    await assert_accessible(page, "new course form")
    topic = unique_topic("browser loop")
    course_id = await _create_course(page, topic)
    await expect(page.get_by_role("progressbar", name="Course progress")).to_be_visible()
    await assert_accessible(page, "course page")

    # Notes: queued topics are generated on request and rendered from markdown.
    await page.get_by_role("link", name=re.compile(r"^Topic 1\.1 of")).click()
    await page.get_by_role("button", name="Generate notes now").click()
    await expect(page.get_by_role("heading", name="Key points")).to_be_visible()
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
    due = page.locator(".due-count")
    await expect(due).to_have_text(re.compile(r"^\d+ cards? due$"))
    before = int((await due.inner_text()).split()[0])
    assert before >= 3
    await assert_accessible(page, "review session")
    for key, rating in (("1", "again"), ("3", "good"), ("4", "easy")):
        await page.keyboard.press("Space")
        await expect(page.locator(".card-back")).to_be_visible()
        await page.keyboard.press(key)
        await expect(page.get_by_role("status").filter(has_text=f"Rated {rating}: next review")).to_be_visible()
    await expect(due).to_have_text(f"{before - 3} card{'' if before - 3 == 1 else 's'} due")

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
    await page.get_by_role("link", name="See your remediation plan").click()
    await expect(page.get_by_role("heading", name="Practice").first).to_be_visible()
    await expect(page.get_by_text("the common misunderstanding, corrected").first).to_be_visible()
    await assert_accessible(page, "remediation plan")

    # The attempt reaches the dashboard.
    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.locator(".attempt-list li").first).to_contain_text("0%")
    await expect(page.locator(".chart")).to_be_visible()
    await assert_accessible(page, "dashboard")
    await _screenshot(page, "dashboard.png")

    # A notification: unread badge, read it, the badge goes.
    await _notify(session_factory, user_a, "Ten minutes on your course today keeps the streak going.")
    await page.goto("/notifications")
    await expect(page.get_by_label("1 unread")).to_be_visible()
    await expect(page.get_by_text("keeps the streak going")).to_be_visible()
    await assert_accessible(page, "notifications")
    await page.get_by_role("button", name="Mark read").click()
    await expect(page.get_by_text("0 unread")).to_be_visible()
    await expect(page.get_by_label("1 unread")).to_have_count(0)

    await page.goto("/account")
    await expect(page.get_by_role("button", name="Upgrade to Pro")).to_be_visible()
    await assert_accessible(page, "account")
    await page.goto(f"/courses/{course_id}")
    await expect(page.get_by_role("heading", name=re.compile("Chapter 1"))).to_be_visible()
    await _screenshot(page, "course.png")
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
    await expect(page.locator("#topic-error")).to_contain_text("at least 3 characters")
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
    await page.get_by_role("button", name="Generate notes now").click()
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


GENERATION_SECONDS = 20


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


async def test_a_written_answer_goes_to_the_tutor_who_grades_it_and_the_learner_sees_the_feedback(
    open_stack, session_factory, user_a
):
    """Issue 34: a learner answers a short-answer item → the grader is unsure, so it is routed →
    the tutor grades it in the queue with the keyboard → the learner sees the final grade and the
    per-point feedback quoting their answer."""
    from db.models import LearnerReviewer, StudyContent
    from tests.support.grading import PHOTOSYNTHESIS

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
    async with session_factory.begin() as session:
        ids = dict(
            (await session.execute(select(User.clerk_id, User.id).where(User.clerk_id.in_([user_a, tutor])))).all()
        )
        session.add(LearnerReviewer(learner_id=ids[user_a], reviewer_id=ids[tutor]))
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
    await _screenshot(tutor_page, "grading-queue.png")
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
    await _screenshot(learner, "written-answer.png")
    assert learner.executed == [] and tutor_page.executed == []  # type: ignore[attr-defined]
    assert console_errors == []
    await learner_context.close()
    await tutor_context.close()
