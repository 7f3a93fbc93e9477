"""A real Chromium (found on this machine, never downloaded) and the whole stack behind a real port.

Without a browser the browser tests skip, saying how to get one; with STUDYFLOW_REQUIRE_BROWSER=1
(set by .ci/run) a missing browser fails them instead.
"""

from __future__ import annotations

import os
import shutil
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from api.app import create_app
from studyflow.settings import Settings
from tests.support.live_server import live_server
from worker import build_activities, build_workers

REPO = Path(__file__).resolve().parents[2]
WEB_DIST = REPO / "web" / "dist"
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    configured = os.environ.get("STUDYFLOW_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def require_browser_prerequisites() -> str:
    chromium = find_chromium()
    missing = []
    if chromium is None:
        missing.append(
            "no Chromium found: install one (Debian/Ubuntu: `apt-get install chromium`) "
            "or set STUDYFLOW_CHROMIUM to its executable"
        )
    if not (WEB_DIST / "index.html").is_file():
        missing.append("the web app is not built: run `make web`")
    if missing:
        message = "; ".join(missing)
        if os.environ.get("STUDYFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return chromium


# A 390 px phone (an iPhone 12-14's CSS width) with a touch screen.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# Every visible element inside its parent's box (unless the parent scrolls or clips), and no
# sideways scrolling: what a learner sees as text crossing a box or a page wider than the phone.
_OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
    + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  const found = [];
  if (document.documentElement.scrollWidth > width + 1) {
    found.push(`the page is ${document.documentElement.scrollWidth}px wide on a ${width}px screen`);
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.skip-link, .visually-hidden, script, style, svg')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || style.position === 'fixed') continue;
    const box = el.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) continue;
    if (box.right > width + 1 || box.left < -1) { found.push(`${describe(el)} leaves the screen`); continue; }
    const parent = el.parentElement;
    if (!parent || parent === document.body || getComputedStyle(parent).overflowX !== 'visible') continue;
    const outer = parent.getBoundingClientRect();
    if (box.left < outer.left - 1 || box.right > outer.right + 1) {
      found.push(`${describe(el)} [${Math.round(box.left)}-${Math.round(box.right)}] crosses ${describe(parent)} `
        + `[${Math.round(outer.left)}-${Math.round(outer.right)}]`);
    }
  }
  return found.slice(0, 8);
}
"""


async def assert_within_boxes(page: Page, screen: str) -> None:
    found = await page.evaluate(_OVERFLOW)
    assert found == [], f"{screen}: {found}"


@dataclass
class WebStack:
    base_url: str
    settings: Settings
    browser: Browser

    async def new_page(self, *, phone: bool = False) -> tuple[BrowserContext, Page]:
        # CSP is bypassed so axe can be injected, and so the XSS tests prove the *rendering* is
        # inert on its own rather than leaning on the Content-Security-Policy header.
        screen = PHONE if phone else {"viewport": {"width": 1280, "height": 900}}
        context = await self.browser.new_context(base_url=self.base_url, bypass_csp=True, **screen)
        context.set_default_timeout(30_000)
        page = await context.new_page()
        executed: list[str] = []
        console_errors: list[str] = []
        page.on("dialog", lambda dialog: executed.append(dialog.message))
        page.on("pageerror", lambda error: executed.append(f"page error: {error}"))
        page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
        page.executed = executed  # type: ignore[attr-defined]
        page.console_errors = console_errors  # type: ignore[attr-defined]
        return context, page


@asynccontextmanager
async def web_stack(settings: Settings, temporal_env, session_factory, chromium: str):
    async with AsyncExitStack() as stack:
        activities = build_activities(settings, session_factory, temporal_env.client)
        for worker in build_workers(temporal_env.client, settings, activities):
            await stack.enter_async_context(worker)
        base_url = await stack.enter_async_context(
            live_server(create_app(settings, temporal_client=temporal_env.client))
        )
        playwright = await stack.enter_async_context(async_playwright())
        args = ["--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to sandbox as root
        browser = await playwright.chromium.launch(executable_path=chromium, args=args)
        stack.push_async_callback(browser.close)
        yield WebStack(base_url=base_url, settings=settings, browser=browser)


async def assert_accessible(page: Page, screen: str) -> None:
    """axe-core (from the app's own npm packages): no serious or critical violations."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => "
        "({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    assert result == [], f"{screen}: accessibility violations {result}"


async def sign_in(page: Page, user: str) -> None:
    await page.goto("/")
    await page.get_by_label("Your name").fill(user)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", name="Your studies").wait_for()
