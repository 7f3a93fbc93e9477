"""Transcripts (WebVTT with webvtt-py, SRT with srt): cues grouped into segments of about a minute,
locator {"start", "end"} as HH:MM:SS."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import srt
import webvtt

from activities.sources.extracted import Extracted, ReadLimits, Section, Unreadable, window_of

SEGMENT_SECONDS = 60
SEGMENT_WORDS = 180
BROKEN = "This transcript could not be parsed as WebVTT or SRT: {reason}. Check the file and upload it again."


@dataclass
class _Cue:
    start: float
    end: float
    text: str


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _cues(text: str) -> list[_Cue]:
    try:
        if text.lstrip("\ufeff \r\n\t").startswith("WEBVTT"):
            return [
                _Cue(c.start_in_seconds, c.end_in_seconds, c.text)
                for c in webvtt.from_buffer(io.StringIO(text)).captions
            ]
        return [_Cue(s.start.total_seconds(), s.end.total_seconds(), s.content) for s in srt.parse(text)]
    except Exception as error:  # each library has its own error types for a malformed file
        raise Unreadable(
            "damaged", BROKEN.format(reason=str(error).splitlines()[0][:200] or type(error).__name__)
        ) from error


def segments_of(cues: list[_Cue]) -> list[Section]:
    sections: list[Section] = []
    group: list[_Cue] = []

    def close() -> None:
        body = " ".join(" ".join(c.text.split()) for c in group).strip()
        if body:
            sections.append(
                Section(
                    unit=len(sections),
                    text=body,
                    locator={"start": _clock(group[0].start), "end": _clock(group[-1].end)},
                )
            )

    words = 0
    for cue in cues:
        if group and (cue.start - group[0].start >= SEGMENT_SECONDS or words >= SEGMENT_WORDS):
            close()
            group, words = [], 0
        group.append(cue)
        words += len(cue.text.split())
    if group:
        close()
    return sections


def read(path: Path, window: tuple[int, int] | None, limits: ReadLimits) -> Extracted:  # noqa: ARG001
    sections = segments_of(_cues(path.read_text(encoding="utf-8-sig", errors="replace")))
    return Extracted(units=len(sections), sections=[sections[i] for i in window_of(len(sections), window)])
