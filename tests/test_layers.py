"""Nothing low imports something high: the kernel of `studyflow/` (settings, contracts, ids,
search attributes, the Temporal client, content rules) stays importable by every layer."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HIGHER = ("api", "activities", "workflows", "worker", "cli", "services", "bench", "tests")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _kernel_modules() -> list[Path]:
    return [p for p in (REPO / "studyflow").rglob("*.py") if "launch" not in p.relative_to(REPO / "studyflow").parts]


def test_the_kernel_imports_no_higher_layer():
    offending = {
        str(path.relative_to(REPO)): sorted(
            name for name in _imports(path) if any(name == h or name.startswith(f"{h}.") for h in HIGHER)
        )
        for path in _kernel_modules()
    }
    offending = {module: names for module, names in offending.items() if names}
    assert offending == {}, f"kernel modules import higher layers: {offending}"


def test_the_check_sees_the_kernel_and_would_catch_a_violation(tmp_path):
    kernel = {p.name for p in _kernel_modules()}
    assert {"settings.py", "workflow_ids.py", "temporal_client.py", "search_attributes.py"} <= kernel
    assert "cli.py" not in kernel and "devstack.py" not in kernel
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from activities.llm.gateway import LlmGateway\n")
    assert "activities.llm.gateway" in _imports(bad)
