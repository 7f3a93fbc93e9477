"""The image installs the project from the files the Dockerfile copies: a package left out makes the
`studyflow` console script fail in every container (the manifests run `studyflow api`, `worker`,
`migrate`, `apply-schedules`)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_installed_package_is_copied_into_the_image():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.rstrip("*") for p in patterns if (REPO / p.rstrip("*")).is_dir()}
    modules = {f"{m}.py" for m in project["tool"]["setuptools"]["py-modules"]}
    copied = set(re.findall(r"^COPY (\S+) \./", (REPO / "Dockerfile").read_text(), re.MULTILINE))
    assert packages | modules <= copied, f"not copied into the image: {sorted((packages | modules) - copied)}"
    console = project["project"]["scripts"]["studyflow"].split(".")[0]
    assert console in copied
