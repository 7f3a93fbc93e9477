"""`make screenshots`: the README's pictures, taken from a running `make dev` as a new learner
would see it — a name, a course on a real topic, its first topic read — never from test fixtures.

Needs the stack up (`make dev` in another shell) and a Chromium (found on PATH or named by
STUDYFLOW_CHROMIUM; Playwright's own download is not used)."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str:
    path = os.environ.get("STUDYFLOW_CHROMIUM") or next(filter(None, map(shutil.which, CANDIDATES)), None)
    if not path:
        raise SystemExit("screenshots: no Chromium found (apt-get install chromium, or set STUDYFLOW_CHROMIUM)")
    return path


async def take(base: str, out: Path, topic: str, name: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        await page.goto(base)
        await page.get_by_label("Your name").fill(name)
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", name="Your studies").wait_for()
        await page.goto(f"{base}/courses/new")
        await page.get_by_label("What do you want to learn?").fill(topic)
        asked = time.monotonic()
        await page.get_by_role("button", name="Create course").click()
        await page.wait_for_function(
            "() => document.querySelector('.meta .badge')?.textContent === 'Ready'", timeout=900_000, polling=500
        )
        # The first-hour figure a newcomer feels (issue 36): from "Create course" to a ready course.
        print(f"screenshots: course ready {time.monotonic() - asked:.1f}s after Create course", file=sys.stderr)
        course_url = page.url
        await page.locator(".topic-list a").first.click()  # opening it starts its notes
        await page.wait_for_function(
            "() => document.querySelector('.markdown, .error-notice')", timeout=900_000, polling=500
        )
        await page.wait_for_timeout(35_000)  # read long enough to count: the course shows progress
        await page.goto(course_url)
        await page.get_by_role("progressbar", name="Your progress").wait_for()
        await page.screenshot(path=str(out / "course.png"), full_page=True)
        await page.goto(base)
        await page.get_by_role("heading", name="Your studies").wait_for()
        await page.screenshot(path=str(out / "dashboard.png"), full_page=True)
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the running stack")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--topic", default="Python decorators")
    parser.add_argument("--name", default="Maria Lopez")
    args = parser.parse_args()
    asyncio.run(take(args.base.rstrip("/"), args.out, args.topic, args.name))
    print(f"screenshots: {args.out / 'course.png'}, {args.out / 'dashboard.png'}", file=sys.stderr)


if __name__ == "__main__":
    main()
