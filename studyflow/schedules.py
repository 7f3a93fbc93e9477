"""Temporal schedules the product runs. None exist yet: engagement nudges will be the first."""

from __future__ import annotations

from studyflow.settings import Settings

SCHEDULES: list = []


async def apply_schedules(settings: Settings) -> int:
    print(f"no schedules to apply ({len(SCHEDULES)} defined)")
    return 0
