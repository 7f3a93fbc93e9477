"""The layer rules (pyproject.toml `[tool.importlinter]`), checked by the tool itself: entry points
(cli) above the API; the API reaching work only through the services; workflows above activities
above services above the database above the kernel; the database starting no workflow; services
knowing nothing of HTTP. A planted violation makes the same check fail, so the check is real."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

from studyflow import workflow_types
from worker import WORKFLOWS

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ["cli", "api", "workflows", "activities", "services", "db", "studyflow"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(root / "pyproject.toml")],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layer_contracts_hold():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") == 4


def test_the_check_fails_on_a_planted_violation(tmp_path):
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "db" / "planted.py").write_text("from temporalio.client import Client\n")
    (tmp_path / "api" / "planted.py").write_text("from workflows.retry import DB_RETRY\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "db.planted -> temporalio" in result.stdout, result.stdout[-3000:]
    assert "api.planted -> workflows.retry" in result.stdout, result.stdout[-3000:]


def test_the_worker_module_imports_neither_the_api_nor_the_entry_points():
    tree = ast.parse((REPO / "worker.py").read_text())
    names = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [node])
        if not isinstance(node, ast.ImportFrom) or node.module
    }
    assert not {n for n in names if n.split(".")[0] in ("api", "cli")}


def test_the_workflow_type_names_the_services_use_are_the_registered_ones():
    named = {value for key, value in vars(workflow_types).items() if key.isupper() and value.endswith("Workflow")}
    assert named <= {workflow.__name__ for workflow in WORKFLOWS}
