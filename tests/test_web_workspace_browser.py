"""The tutor's and the admin's side of the web app in a real Chromium against the real stack: an
admin links a learner of the demo centre to a tutor, the tutor finds them in My learners, reads
their figures and uploads a session that is analysed; the admin reads the organisation's figures;
the learner sees who their tutor is. Every screen of the tutor's and admin's side is axe-clean."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect
from sqlalchemy import func, select

from db.models import Membership, Organization
from tests.support.app import make_settings
from tests.support.browser import WEB_DIST, assert_accessible, require_browser_prerequisites, web_stack

expect.set_options(timeout=30_000)

TRANSCRIPT = """Tutor: Today we look at equivalent fractions and how to add them.
Learner: I think equivalent fractions name the same amount of the whole.
Tutor: Good. What about adding one half and one third?
Learner: You add the tops and the bottoms so it makes two fifths.
Tutor: Not quite: we need a common denominator first.
Learner: So six is the lowest common denominator for halves and thirds.
"""


async def _sign_in(stack, name: str, space: str) -> Page:
    _, page = await stack.new_page()
    await page.goto("/")
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Sign in as").select_option(space)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", name="Your studies").wait_for()
    return page


def _nav(page: Page):
    return page.get_by_role("navigation", name="Main")


async def _stat(page: Page, label: str):
    return page.locator(".stat", has=page.get_by_text(label, exact=True)).locator("dd")


async def test_a_tutor_an_admin_and_a_learner_each_see_their_side(
    database_url, llm_server, tmp_path, temporal_env, session_factory
):
    chromium = require_browser_prerequisites()
    settings = make_settings(
        database_url,
        llm_server,
        tmp_path,
        web_dist_dir=WEB_DIST,
        api_host="127.0.0.1",
        openai_model=f"model-{uuid.uuid4().hex[:8]}",
    )
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
        await admin.get_by_label("Link learner").select_option(label=learner_name)
        await admin.get_by_label("to tutor").select_option(label=tutor_name)
        await admin.get_by_role("button", name="Link", exact=True).click()
        await expect(admin.get_by_role("status").filter(has_text="Linked.")).to_be_visible()
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
