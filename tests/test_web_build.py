"""The web app's build artefacts: the typed client matches the API, and the first page load stays
within its JavaScript budget."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api.openapi_document import openapi_json

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "web"
INITIAL_JS_BUDGET = 250 * 1024  # gzipped bytes


def _node_env() -> dict[str, str]:
    """Node >= 20 from PATH, else the venv's pinned one (as the Makefile chooses)."""
    env = dict(os.environ)
    node = shutil.which("node")
    if node:
        major = subprocess.run([node, "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True)
        if major.returncode == 0 and int(major.stdout.strip()) >= 20:
            return env
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def test_the_committed_openapi_document_matches_the_api():
    committed = (WEB / "openapi.json").read_text()
    assert committed == openapi_json(), "web/openapi.json is stale: run `make web-api` and commit the result"


def test_the_committed_typed_client_was_generated_from_that_document(tmp_path):
    generator = WEB / "node_modules" / "openapi-typescript" / "bin" / "cli.js"
    if not generator.is_file():
        pytest.fail("web/node_modules is missing: run `make web` first (make test does)", pytrace=False)
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        ["node", str(generator), str(WEB / "openapi.json"), "-o", str(out)],
        cwd=WEB,
        env=_node_env(),
        check=True,
        capture_output=True,
    )
    assert out.read_text() == (WEB / "src" / "api" / "schema.d.ts").read_text(), (
        "web/src/api/schema.d.ts is stale: run `make web-api` and commit the result"
    )


def _initial_chunks(manifest: dict) -> list[str]:
    """The entry and everything it imports statically: what the browser fetches before first paint."""
    entries = [key for key, chunk in manifest.items() if chunk.get("isEntry")]
    assert entries, "the manifest names no entry chunk"
    seen: list[str] = []
    pending = list(entries)
    while pending:
        key = pending.pop()
        if key in seen:
            continue
        seen.append(key)
        pending.extend(manifest[key].get("imports", []))
    return [manifest[key]["file"] for key in seen]


def test_the_first_page_load_stays_within_its_javascript_budget():
    manifest_path = WEB / "dist" / ".vite" / "manifest.json"
    if not manifest_path.is_file():
        pytest.fail("web/dist is missing: run `make web` first (make test does)", pytrace=False)
    manifest = json.loads(manifest_path.read_text())
    files = _initial_chunks(manifest)
    sizes = {name: len(gzip.compress((WEB / "dist" / name).read_bytes(), compresslevel=9)) for name in files}
    total = sum(sizes.values())
    print(f"initial JavaScript: {total / 1024:.1f} KB gzipped in {len(files)} files {sizes}")
    assert total <= INITIAL_JS_BUDGET, f"initial JavaScript is {total / 1024:.1f} KB gzipped (budget 250 KB): {sizes}"
    lazy = {chunk["file"] for chunk in manifest.values()} - set(files)
    assert any("ScoreChart" in name for name in lazy), "the chart library must stay out of the first load"
    assert any("ClerkGate" in name for name in lazy), "Clerk's SDK must stay out of the first load"
