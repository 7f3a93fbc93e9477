"""Sizes as a learner reads them in messages."""

from __future__ import annotations


def human_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"
