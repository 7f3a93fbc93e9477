"""The tutor's and the admin's side of the web app in a real Chromium against the real stack: an
admin links a learner of the demo centre to a tutor, the tutor finds them in My learners, reads
their figures and uploads a session that is analysed; the admin reads the organisation's figures;
the learner sees who their tutor is. And the whole story of issue 32: invitations accepted, a quiz
given to a group and taken from the inbox, its score and the mastery it moved seen by the tutor, a
chat handed off and resolved. Every screen of the tutor's and admin's side is axe-clean."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import func, select

from db.models import Membership, Organization
from tests.support.app import make_settings
from tests.support.browser import (
    WEB_DIST,
    assert_accessible,
    assert_within_boxes,
    require_browser_prerequisites,
    web_stack,
)
from tests.support.scripted_openai import auto_option

expect.set_options(timeout=30_000)
SESSIONS = Path(__file__).parent / "data" / "sessions"

TRANSCRIPT = """Tutor: Today we look at equivalent fractions and how to add them.
Learner: I think equivalent fractions name the same amount of the whole.
Tutor: Good. What about adding one half and one third?
Learner: You add the tops and the bottoms so it makes two fifths.
Tutor: Not quite: we need a common denominator first.
Learner: So six is the lowest common denominator for halves and thirds.
"""


async def _sign_in(stack, name: str, space: str, *, at: str = "/", phone: bool = False) -> Page:
    _, page = await stack.new_page(phone=phone)
    await page.goto(at)
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Sign in as").select_option(space)
    await page.get_by_role("button", name="Continue").click()
    if at == "/":
        await page.get_by_role("heading", name="Your studies").wait_for()
    return page


def _web_settings(database_url, llm_server, tmp_path):
    """A stack serving the built web app, with its own model name (its own semantic-cache scope)."""
    return make_settings(
        database_url,
        llm_server,
        tmp_path,
        web_dist_dir=WEB_DIST,
        api_host="127.0.0.1",
        openai_model=f"model-{uuid.uuid4().hex[:8]}",
    )


async def _link(admin: Page, learner_name: str, tutor_name: str) -> None:
    """The admin, on the Organisation page, makes the tutor the learner's tutor."""
    await admin.get_by_label("Link learner").select_option(label=learner_name)
    await admin.get_by_label("to tutor").select_option(label=tutor_name)
    await admin.get_by_role("button", name="Link", exact=True).click()
    await expect(admin.get_by_role("status").filter(has_text="Linked.")).to_be_visible()


async def _answer_every_question_right(page: Page) -> None:
    """On a quiz page: all questions on one page, each answered right (the scripted quiz's right
    answer is B), submitted, and scored 100 %."""
    await page.get_by_label("Show all questions on one page").check()
    questions = page.locator("fieldset.question")
    await expect(questions.first).to_be_visible()
    count = await questions.count()
    for i in range(count):
        await questions.nth(i).get_by_label(auto_option(i, "B")).check()
    await page.get_by_role("button", name="Submit answers").click()
    await expect(page.get_by_role("heading", name=f"You scored {count} of {count} (100%)")).to_be_visible()


def _nav(page: Page):
    return page.get_by_role("navigation", name="Main")


async def _stat(page: Page, label: str):
    return page.locator(".stat", has=page.get_by_text(label, exact=True)).locator("dd")


async def test_a_tutor_an_admin_and_a_learner_each_see_their_side(
    database_url, llm_server, tmp_path, temporal_env, session_factory
):
    chromium = require_browser_prerequisites()
    settings = _web_settings(database_url, llm_server, tmp_path)
    suffix = uuid.uuid4().hex[:6]
    learner_name, tutor_name, admin_name = f"Lena {suffix}", f"Tomas {suffix}", f"Ada {suffix}"
    async with web_stack(settings, temporal_env, session_factory, chromium) as stack:
        # Someone studying alone: today's menu plus Sessions, nothing of an organisation's.
        alone = await _sign_in(stack, f"Solo {suffix}", "personal")
        await expect(_nav(alone).get_by_role("link")).to_have_text(
            [
                "Dashboard",
                "New course",
                "My material",
                "Sessions",
                "Ask a tutor",
                "Review",
                "Goals",
                "Weak areas",
                "My progress",
                "Notifications",
                "Account",
            ]
        )
        learner = await _sign_in(stack, learner_name, "learner")
        # A learner of an organisation: the personal menu plus Sessions and My tutors, no tutor items.
        await expect(_nav(learner).get_by_role("link", name="My tutors")).to_be_visible()
        await expect(_nav(learner).get_by_role("link", name="Sessions")).to_be_visible()
        await expect(_nav(learner).get_by_role("link", name="My learners")).to_have_count(0)
        tutor = await _sign_in(stack, tutor_name, "tutor")
        admin = await _sign_in(stack, admin_name, "admin")

        # The admin links the learner to the tutor from the organisation's members.
        await _nav(admin).get_by_role("link", name="Organisation").click()
        await expect(admin.get_by_role("row", name=re.compile(f"{learner_name}\\s+learner"))).to_be_visible()
        await expect(admin.get_by_role("row", name=re.compile(f"{tutor_name}\\s+tutor"))).to_be_visible()
        await _link(admin, learner_name, tutor_name)
        await assert_accessible(admin, "organisation")

        # The tutor: the learner in My learners, their page with figures, then a session for them.
        await _nav(tutor).get_by_role("link", name="My learners").click()
        await expect(tutor.get_by_role("link", name=learner_name)).to_be_visible()
        await assert_accessible(tutor, "my learners")
        await tutor.get_by_role("link", name=learner_name).click()
        await expect(tutor.get_by_role("heading", name=learner_name, level=1)).to_be_visible()
        await expect(await _stat(tutor, "Active days")).to_have_text(re.compile(r"^\d+ of \d+ \("))
        await expect(await _stat(tutor, "Concepts mastered")).to_have_text(re.compile(r"^\d+ \([+-]?\d+\)$"))
        await expect(tutor.get_by_text("No hand-off waiting.")).to_be_visible()
        await expect(tutor.get_by_role("heading", name="Goals", level=3)).to_be_visible()
        await expect(tutor.get_by_text("No goal set.")).to_be_visible()
        await assert_accessible(tutor, "a learner's page")
        await tutor.get_by_role("link", name=f"Sessions with {learner_name}").click()
        await expect(tutor).to_have_url(re.compile(r"/sessions\?learner_id=[0-9a-f-]{36}$"))
        await tutor.get_by_label(re.compile("^Upload a session's transcript")).set_input_files(
            {"name": "fractions.txt", "mimeType": "text/plain", "buffer": TRANSCRIPT.encode()}
        )
        await tutor.get_by_label("Subject").fill("Fractions")
        await tutor.get_by_role("button", name="Upload", exact=True).click()
        await expect(tutor).to_have_url(re.compile(r"/sessions/[0-9a-f-]{36}$"))
        await expect(tutor.get_by_role("heading", level=1).locator(".badge")).to_have_text("Ready", timeout=120_000)
        concepts = tutor.locator(".concept h3")
        await expect(concepts.first).to_contain_text("Idea")
        await expect(tutor.locator(".evidence blockquote").first).to_contain_text("“")
        await expect(tutor.get_by_role("heading", name="Action items")).to_be_visible()
        await expect(tutor.get_by_label("Learner", exact=True)).to_have_value("learner")
        await assert_accessible(tutor, "an analysed session")
        # A wrong guess of who spoke is corrected: analysed again as a second version.
        await tutor.get_by_label("Learner", exact=True).select_option("tutor")
        await tutor.get_by_label("Tutor", exact=True).select_option("learner")
        await tutor.get_by_role("button", name="Correct the roles and analyse again").click()
        await expect(tutor.get_by_text(re.compile("analysis version 2"))).to_be_visible()
        await expect(tutor.get_by_role("heading", level=1).locator(".badge")).to_have_text("Ready", timeout=120_000)
        await expect(tutor.get_by_label("Learner", exact=True)).to_have_value("tutor")
        await tutor.get_by_role("link", name="All sessions").click()
        await expect(tutor.get_by_role("link", name="Fractions")).to_be_visible()

        # The admin: the organisation's learner count, as many as its learner members.
        async with session_factory() as session:
            learners = await session.scalar(
                select(func.count())
                .select_from(Membership)
                .join(Organization, Organization.id == Membership.organization_id)
                .where(
                    Organization.clerk_org_id == "org_demo",
                    Membership.role == "learner",
                    Membership.removed_at.is_(None),
                )
            )
        await admin.reload()
        await expect(await _stat(admin, "Learners")).to_have_text(str(learners))
        await expect(admin.get_by_role("button", name="Download CSV")).to_be_enabled()
        async with admin.expect_download() as exported:
            await admin.get_by_role("button", name="Download CSV").click()
        csv_file = await exported.value
        assert csv_file.suggested_filename.startswith("overview-")

        # The learner: their tutor, and what the tutor can see.
        await _nav(learner).get_by_role("link", name="My tutors").click()
        await expect(learner.get_by_role("heading", name=tutor_name)).to_be_visible()
        await expect(learner.get_by_text(re.compile("^Can see: "))).to_be_visible()
        await assert_accessible(learner, "my tutors")
        await _nav(learner).get_by_role("link", name="Sessions").click()
        await expect(learner.get_by_role("link", name="Fractions")).to_be_visible()

        for page in (alone, learner, tutor, admin):
            assert page.executed == [], page.executed  # type: ignore[attr-defined]
            assert page.console_errors == [], page.console_errors  # type: ignore[attr-defined]


async def _invitation_link(admin: Page, role: str) -> str:
    await admin.get_by_label("Who joins").select_option(role)
    await admin.get_by_role("button", name="Create invitation link").click()
    link = admin.get_by_label(re.compile(f"^Invitation link for an? {role}"))
    await expect(link).to_have_value(re.compile(r"/invitations/[\w-]{20,}$"))
    return await link.input_value()


async def _accept(stack, name: str, link: str, role: str) -> Page:
    """Someone studying alone opens the link, signs in there, reads what joining means and joins."""
    page = await _sign_in(stack, name, "personal", at=link)
    await expect(page.get_by_role("heading", name=re.compile("^Join "))).to_be_visible()
    await expect(page.get_by_text(re.compile(f"You are invited to join .+ as an? {role}\\."))).to_be_visible()
    await assert_accessible(page, f"an invitation as {role}")
    await page.get_by_role("button", name="Accept the invitation").click()
    await expect(page.get_by_role("heading", name="Your studies")).to_be_visible()
    return page


async def test_the_tutor_story_from_invitation_to_a_resolved_hand_off(
    database_url, llm_server, tmp_path, temporal_env, session_factory
):
    chromium = require_browser_prerequisites()
    settings = _web_settings(database_url, llm_server, tmp_path)
    suffix = uuid.uuid4().hex[:6]
    learner_name, tutor_name, admin_name = f"Lina {suffix}", f"Theo {suffix}", f"Alba {suffix}"
    group, topic = f"Year 9 {suffix}", f"fractions {suffix}"
    async with web_stack(settings, temporal_env, session_factory, chromium) as stack:
        # The admin invites a tutor and a learner: one single-use link each.
        admin = await _sign_in(stack, admin_name, "admin")
        await _nav(admin).get_by_role("link", name="Organisation").click()
        tutor_link = await _invitation_link(admin, "tutor")
        learner_link = await _invitation_link(admin, "learner")
        assert tutor_link != learner_link
        await assert_accessible(admin, "organisation with an invitation link")

        # Each accepts, and works in the organisation at once with the role they were invited as.
        tutor = await _accept(stack, tutor_name, tutor_link, "tutor")
        await expect(_nav(tutor).get_by_role("link", name="My learners")).to_be_visible()
        await expect(_nav(tutor).get_by_role("link", name="Hand-offs")).to_be_visible()
        learner = await _accept(stack, learner_name, learner_link, "learner")
        await expect(_nav(learner).get_by_role("link", name="My tutors")).to_be_visible()
        await expect(_nav(learner).get_by_role("link", name="My learners")).to_have_count(0)
        # The admin sees both as members and makes the tutor the learner's tutor.
        await admin.reload()
        await expect(admin.get_by_role("row", name=re.compile(f"{learner_name}\\s+learner"))).to_be_visible()
        await expect(admin.get_by_role("row", name=re.compile(f"{tutor_name}\\s+tutor"))).to_be_visible()
        await _link(admin, learner_name, tutor_name)

        # The tutor makes a course, a group with the learner, and gives the group the course's quiz.
        await tutor.get_by_role("link", name="New course", exact=True).first.click()
        await tutor.get_by_label("What do you want to learn?").fill(topic)
        await tutor.get_by_role("button", name="Create course").click()
        await expect(tutor).to_have_url(re.compile(r"/courses/[0-9a-f-]{36}$"))
        await expect(tutor.locator(".meta .badge").first).to_have_text("Ready")
        await _nav(tutor).get_by_role("link", name="Assignments").click()
        await tutor.get_by_label("New group").fill(group)
        await tutor.get_by_role("button", name="Create group").click()
        await tutor.get_by_label(f"Add a learner to {group}").select_option(label=learner_name)
        await tutor.get_by_role("button", name="Add", exact=True).click()
        await expect(
            tutor.get_by_role("listitem").filter(has=tutor.get_by_role("heading", name=group))
        ).to_contain_text(learner_name)
        due = date.today() + timedelta(days=7)
        await tutor.get_by_label("What", exact=True).select_option(label="A quiz")
        await tutor.get_by_label("From the course").select_option(label=topic)
        await tutor.get_by_label("For", exact=True).select_option(label=group)
        await tutor.get_by_label("Due (optional)").fill(due.isoformat())
        await tutor.get_by_label("Note (optional)").fill("Before Friday's session, please.")
        await assert_accessible(tutor, "groups and assignments")
        await tutor.get_by_role("button", name="Assign", exact=True).click()
        await tutor.get_by_role("status").get_by_role("link", name=re.compile("^Quiz: ")).click()
        await expect(tutor).to_have_url(re.compile(r"/assignments/[0-9a-f-]{36}$"))
        assignment_url = tutor.url
        # The group's assignment reaches its learner through the fan-out workflow.
        learner_row = tutor.get_by_role("row", name=re.compile(f"^{learner_name}"))
        await expect(learner_row).to_have_text(re.compile(f"^{learner_name}\\s*open\\s*—$"))
        await assert_accessible(tutor, "an assignment as its giver")

        # The learner takes it from the inbox: the notification opens the assignment, which opens the quiz.
        await _nav(learner).get_by_role("link", name=re.compile("^Notifications")).click()
        given = learner.get_by_role("listitem").filter(has_text=re.compile("^New assignment: Quiz: "))
        await expect(given).to_contain_text("Before Friday's session, please.")
        await given.get_by_role("link", name="Open").click()
        await expect(learner).to_have_url(assignment_url)
        await expect(learner.get_by_role("heading", level=1)).to_have_text(re.compile("^Quiz: "))
        await expect(learner.get_by_text("Not done yet.")).to_be_visible()
        await assert_accessible(learner, "an assignment as its learner")
        await learner.get_by_role("button", name="Take the quiz").click()
        await expect(learner).to_have_url(re.compile(r"/quizzes/[0-9a-f-]{36}$"))
        await _answer_every_question_right(learner)

        # The tutor sees the score on the assignment and on the learner's page, with the mastery it moved.
        await tutor.reload()
        await expect(learner_row).to_have_text(re.compile(f"^{learner_name}\\s*done\\s*100%$"))
        await learner_row.get_by_role("link", name=learner_name).click()
        await expect(tutor.get_by_role("heading", name=learner_name, level=1)).to_be_visible()
        await expect(tutor.get_by_text(re.compile("^Latest quiz score: 100%"))).to_be_visible()
        await tutor.get_by_text(re.compile(r"^Mastery by concept \(\d+\)$")).click()
        mastered = tutor.locator("details li").filter(has_text=topic)
        await expect(mastered.first).to_have_text(re.compile(r"^Topic \d\.\d of .+\): [1-9]\d*%"))
        await assert_accessible(tutor, "a learner's page after their quiz")
        # The learner sees the same figures on their own page.
        await _nav(learner).get_by_role("link", name="My progress").click()
        await expect(learner.get_by_role("heading", name="My progress", level=1)).to_be_visible()
        figures = learner.locator("dl.stats")
        await expect(figures.locator(".stat").filter(has_text="Quiz attempts").locator("dd")).to_have_text("1")
        await expect(figures.locator(".stat").filter(has_text="Score after").locator("dd")).to_have_text("100%")
        await assert_accessible(learner, "my progress")

        # The learner's chat finds nothing in their material twice: it suggests their tutor, and they send it.
        await _nav(learner).get_by_role("link", name="Ask a tutor").click()
        await learner.get_by_role("button", name="New conversation").click()
        await expect(learner).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}$"))
        answers = learner.locator(".message.tutor:not([aria-busy])")
        for asked, question in enumerate(("How do I add one half and one third?", "Why must the denominators match?")):
            await learner.get_by_label("Your question").fill(question)
            await learner.get_by_role("button", name="Ask").click()
            await expect(answers).to_have_count(asked + 1)
        suggestion = learner.get_by_role("note").filter(has_text="Your tutor could help")
        await expect(suggestion).to_contain_text("two answers in a row were uncertain")
        await assert_accessible(learner, "a chat suggesting the tutor")
        await suggestion.get_by_role("button", name=f"Send this to {tutor_name}").click()
        await expect(suggestion.get_by_role("status")).to_have_text(f"Sent to {tutor_name}: waiting for their answer.")

        # It is in the tutor's hand-off inbox with its summary; accepted, then resolved with a note.
        await _nav(tutor).get_by_role("link", name="Hand-offs").click()
        handoff = tutor.get_by_role("article", name=re.compile(f"^{learner_name}"))
        await expect(handoff.locator(".badge")).to_have_text("waiting")
        await expect(handoff).to_contain_text("two answers in a row were uncertain")
        await expect(
            handoff.get_by_role("listitem").filter(has_text="How do I add one half and one third?")
        ).to_be_visible()
        await expect(handoff).to_contain_text("1 quiz attempts, 100% on average")
        await assert_accessible(tutor, "the hand-off inbox")
        await handoff.get_by_role("button", name="Accept").click()
        await expect(handoff.locator(".badge")).to_have_text("accepted")
        note = "Let us go over common denominators on Tuesday."
        await handoff.get_by_label(f"Note for {learner_name} (optional)").fill(note)
        await handoff.get_by_role("button", name="Resolve").click()
        await expect(handoff.locator(".badge")).to_have_text("resolved")
        await expect(handoff).to_contain_text(f"Your note: {note}")
        await expect(handoff.get_by_role("button")).to_have_count(0)
        await expect(tutor.get_by_text("0 waiting · 1 decided")).to_be_visible()

        # The learner reads what became of it where they sent it from.
        await expect(suggestion.get_by_role("status")).to_have_text(f"{tutor_name} resolved it: {note}")

        # The new screens fit a phone.
        phone = await _sign_in(stack, tutor_name, "tutor", phone=True)
        for screen in ("/assignments", assignment_url.split(stack.base_url, 1)[-1], "/tutor/handoffs"):
            await phone.goto(screen)
            await expect(phone.get_by_role("heading", level=1)).to_be_visible()
            await expect(phone.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
            await assert_within_boxes(phone, screen)

        pages = {"admin": admin, "tutor": tutor, "learner": learner, "phone": phone}
        assert {name: p.executed for name, p in pages.items() if p.executed} == {}  # type: ignore[attr-defined]
        assert {name: p.console_errors for name, p in pages.items() if p.console_errors} == {}  # type: ignore[attr-defined]


async def test_a_tutors_vtt_session_becomes_practice_the_learner_takes_and_the_tutor_sees(
    database_url, llm_server, tmp_path, temporal_env, session_factory
):
    """Issue 33's story: the tutor uploads a WebVTT session for their learner → its analysis with
    quotes at their minute → the practice it made reaches the learner's inbox → they take it → the
    tutor sees the result on the practice's assignment."""
    chromium = require_browser_prerequisites()
    settings = _web_settings(database_url, llm_server, tmp_path)
    suffix = uuid.uuid4().hex[:6]
    learner_name, tutor_name, admin_name = f"Jordan {suffix}", f"Patel {suffix}", f"Ines {suffix}"
    async with web_stack(settings, temporal_env, session_factory, chromium) as stack:
        learner = await _sign_in(stack, learner_name, "learner")
        tutor = await _sign_in(stack, tutor_name, "tutor")
        admin = await _sign_in(stack, admin_name, "admin")
        await _nav(admin).get_by_role("link", name="Organisation").click()
        await _link(admin, learner_name, tutor_name)

        # The tutor uploads the session's WebVTT (voice tags name Ms Patel and Jordan).
        await _nav(tutor).get_by_role("link", name="My learners").click()
        await tutor.get_by_role("link", name=learner_name).click()
        await tutor.get_by_role("link", name=f"Sessions with {learner_name}").click()
        await tutor.get_by_label(re.compile("^Upload a session's transcript")).set_input_files(
            str(SESSIONS / "algebra_quadratics_01.vtt")
        )
        await tutor.get_by_label("Subject").fill(f"Quadratics {suffix}")
        await tutor.get_by_role("button", name="Upload", exact=True).click()
        await expect(tutor).to_have_url(re.compile(r"/sessions/[0-9a-f-]{36}$"))
        await expect(tutor.get_by_role("heading", level=1).locator(".badge")).to_have_text("Ready", timeout=120_000)
        # Evidence: the learner's own words, each at its minute in the recording.
        quote = tutor.locator(".evidence blockquote").first
        await expect(quote).to_contain_text("“")
        await expect(tutor.locator(".evidence").first).to_contain_text(re.compile(r"\d\d:\d\d:\d\d"))
        await expect(tutor.locator(".evidence").first).to_contain_text("Jordan")
        await expect(tutor.get_by_text(re.compile(r"^Practice from this session:"))).to_contain_text("assigned")
        await assert_accessible(tutor, "an analysed WebVTT session")

        # The learner: the practice in the inbox → its assignment → the quiz, answered.
        await _nav(learner).get_by_role("link", name=re.compile("^Notifications")).click()
        given = learner.get_by_role("listitem").filter(has_text=re.compile(f"Practice: Quadratics {suffix}"))
        await expect(given).to_be_visible()
        await given.get_by_role("link", name="Open").click()
        await expect(learner).to_have_url(re.compile(r"/assignments/[0-9a-f-]{36}$"))
        assignment_url = learner.url
        await expect(learner.get_by_text("Not done yet.")).to_be_visible()
        await learner.get_by_role("button", name="Start the practice").click()
        await expect(learner).to_have_url(re.compile(r"/quizzes/[0-9a-f-]{36}$"), timeout=120_000)
        await _answer_every_question_right(learner)

        # The tutor sees the result on the practice's assignment.
        await tutor.goto(assignment_url)
        learner_row = tutor.get_by_role("row", name=re.compile(f"^{learner_name}"))
        await expect(learner_row).to_have_text(re.compile(f"^{learner_name}\\s*done\\s*100%$"))

        for page in (learner, tutor, admin):
            assert page.executed == [], page.executed  # type: ignore[attr-defined]
            assert page.console_errors == [], page.console_errors  # type: ignore[attr-defined]
