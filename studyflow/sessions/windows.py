"""A long session is analysed in windows a small model can hold: consecutive utterances up to
SESSION_WINDOW_WORDS words, cut only between utterances. Deterministic: the same transcript and
setting give the same windows, so a retried activity (and a replayed workflow) sees the same one."""

from __future__ import annotations

from dataclasses import dataclass

from studyflow.sessions.speakers import SpeakerRole
from studyflow.sessions.transcript import Utterance, clock


@dataclass(frozen=True)
class Window:
    index: int
    first: int  # utterance indexes, inclusive
    last: int


def windows_of(utterances: list[Utterance], max_words: int) -> list[Window]:
    windows: list[Window] = []
    start, words = 0, 0
    for position, utterance in enumerate(utterances):
        if position > start and words + utterance.words > max_words:
            windows.append(Window(len(windows), start, position - 1))
            start, words = position, 0
        words += utterance.words
    if utterances:
        windows.append(Window(len(windows), start, len(utterances) - 1))
    return windows


ROLE_LETTER = {SpeakerRole.tutor: "T", SpeakerRole.learner: "L", SpeakerRole.other: "O"}


def window_text(utterances: list[Utterance], roles: dict[str, SpeakerRole], window: Window) -> str:
    """One line per utterance, short for a small model's context: `12:30 L: text` (T the tutor,
    L the learner, O anyone else)."""
    lines = []
    for u in utterances[window.first : window.last + 1]:
        stamp = clock(u.start)
        stamp = (stamp[3:] if stamp and stamp.startswith("00:") else stamp) if stamp else None
        letter = ROLE_LETTER[roles.get(u.speaker, SpeakerRole.other)]
        lines.append(f"{stamp + ' ' if stamp else ''}{letter}: {u.text}")
    return "\n".join(lines)
