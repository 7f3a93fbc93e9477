"""A transcript in the formats tutors have: WebVTT (voice tags `<v Name>`), SRT (`Name: text` at the
start of a cue), plain text with one `Name: text` line per turn (with `[00:12:30]` or `00:12:30`
timestamps, or none), and the JSON segment list meeting note-takers export
(`[{"speaker", "start", "end", "text"}]`). Each becomes the same list of utterances: one cue, line
or segment, with its speaker and start time — the unit an evidence quote is checked against."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class TranscriptFormat(StrEnum):
    vtt = "vtt"
    srt = "srt"
    text = "text"  # `Name: text` lines
    json = "json"  # note-taker segments


@dataclass
class Utterance:
    index: int
    speaker: str
    text: str
    start: float | None = None  # seconds from the start of the session
    end: float | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Utterance:
        fields: dict[str, Any] = {k: data.get(k) for k in ("index", "speaker", "text", "start", "end")}
        return cls(**fields)

    @property
    def words(self) -> int:
        return len(self.text.split())


class NotATranscript(ValueError):
    """The text is none of the formats; the message says what was expected (415 at upload)."""


class BrokenTranscript(ValueError):
    """It looks like a transcript but cannot be read; the message is for the person who uploaded it."""


FORMATS_HELP = (
    "a session transcript: WebVTT or SRT, text with one 'Name: what they said' line per turn "
    '(timestamps optional), or a JSON list of {"speaker", "start", "end", "text"} segments'
)
UNKNOWN_SPEAKER = "Unknown"
_SRT_START = re.compile(r"\d+\s*\r?\n\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
_STAMP = r"(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?"
# `[00:12:30] Name: text`, `00:12:30 Name: text`, `(12:30) Name: text`, or `Name: text`.
_LINE = re.compile(
    rf"^\s*(?:[\[(]?(?P<stamp>{_STAMP})[\])]?\s*[-–]?\s*)?"
    r"(?P<name>[^\s:\[\](){}<>][^:\[\](){}<>]{0,59}?)\s*:\s+(?P<text>\S.*)$"
)
_STAMP_ONLY = re.compile(rf"^\s*[\[(]?{_STAMP}[\])]?\s*$")
_SPEAKER_PREFIX = re.compile(r"^\s*(?P<name>[^\s:][^:]{0,59}?)\s*:\s+(?P<text>\S.*)$", re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def detect(text: str) -> TranscriptFormat:
    """The format, by content alone (the file name does not decide)."""
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith("WEBVTT"):
        return TranscriptFormat.vtt
    if _SRT_START.match(start):
        return TranscriptFormat.srt
    if start.startswith("["):
        try:
            segments = json.loads(start)
        except ValueError:
            segments = None
        if isinstance(segments, list):
            if segments and all(isinstance(s, dict) and "text" in s for s in segments[:50]):
                return TranscriptFormat.json
            raise NotATranscript(f"this JSON is not a list of segments with a 'text'; send {FORMATS_HELP}")
    lines = [line for line in start.splitlines() if line.strip() and not _STAMP_ONLY.match(line)]
    spoken = sum(1 for line in lines[:400] if _LINE.match(line))
    if lines and spoken >= max(2, 0.6 * min(len(lines), 400)):
        return TranscriptFormat.text
    raise NotATranscript(f"no speaker turns found; send {FORMATS_HELP}")


def parse(text: str, fmt: TranscriptFormat | None = None) -> list[Utterance]:
    text = text.lstrip("\ufeff")
    fmt = fmt or detect(text)
    try:
        if fmt == TranscriptFormat.vtt:
            raw = _vtt(text)
        elif fmt == TranscriptFormat.srt:
            raw = _srt(text)
        elif fmt == TranscriptFormat.json:
            raw = _json(text)
        else:
            raw = _text(text)
    except (BrokenTranscript, NotATranscript):
        raise
    except Exception as error:  # each library has its own errors for a malformed file
        first = (str(error).splitlines() or [type(error).__name__])[0][:200]
        raise BrokenTranscript(f"This transcript could not be read as {fmt.value}: {first}.") from error
    utterances = [
        Utterance(index=i, speaker=speaker, text=body, start=start, end=end)
        for i, (speaker, body, start, end) in enumerate(
            (s, " ".join(b.split()), st, en) for s, b, st, en in raw if b and b.strip()
        )
    ]
    if not utterances:
        raise BrokenTranscript("This transcript has no spoken text in it.")
    if len({u.speaker for u in utterances} - {UNKNOWN_SPEAKER}) == 0:
        raise BrokenTranscript(
            "This transcript does not say who is speaking. Name the speakers (voice tags in WebVTT, "
            "'Name: text' lines or cues, or a 'speaker' per JSON segment) and upload it again."
        )
    return utterances


def _split_speaker(body: str) -> tuple[str, str]:
    found = _SPEAKER_PREFIX.match(body)
    if found and len(found["name"].split()) <= 4:
        return found["name"].strip(), found["text"]
    return UNKNOWN_SPEAKER, body


def _vtt(text: str):
    import webvtt

    for cue in webvtt.from_buffer(io.StringIO(text)).captions:
        body = " ".join(cue.text.split())
        voice = getattr(cue, "voice", None)
        speaker, body = (voice.strip(), body) if voice else _split_speaker(_TAGS.sub("", body))
        yield speaker, body, cue.start_in_seconds, cue.end_in_seconds


def _srt(text: str):
    import srt

    for cue in srt.parse(text):
        speaker, body = _split_speaker(_TAGS.sub("", " ".join(cue.content.split())))
        yield speaker, body, cue.start.total_seconds(), cue.end.total_seconds()


def _json(text: str):
    segments = json.loads(text)
    for number, segment in enumerate(segments, start=1):
        if not isinstance(segment, dict) or not isinstance(segment.get("text"), str):
            raise BrokenTranscript(f"Segment {number} has no 'text'.")
        speaker = segment.get("speaker") or segment.get("speaker_name") or segment.get("name")
        speaker = str(speaker).strip() if speaker else UNKNOWN_SPEAKER
        yield speaker, segment["text"], _seconds(segment.get("start")), _seconds(segment.get("end"))


def _seconds(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    found = re.fullmatch(_STAMP, str(value).strip())
    if found is None:
        try:
            return float(value)
        except ValueError:
            return None
    hours, minutes, seconds = found.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


def _text(text: str):
    pending_stamp: float | None = None
    last: list | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if _STAMP_ONLY.match(line):  # a timestamp on its own line stamps the next turn
            pending_stamp = _seconds(line.strip().strip("[]()"))
            continue
        found = _LINE.match(line)
        if found is None:
            if last is not None:  # a turn that goes on over several lines
                last[1] += " " + line.strip()
            continue
        if last is not None:
            yield tuple(last)
        stamp = _seconds(found["stamp"]) if found["stamp"] else pending_stamp
        pending_stamp = None
        last = [found["name"].strip(), found["text"], stamp, None]
    if last is not None:
        yield tuple(last)


def clock(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def speaker_words(utterances: list[Utterance]) -> Counter:
    words: Counter = Counter()
    for u in utterances:
        words[u.speaker] += u.words
    return words


def duration_seconds(utterances: list[Utterance]) -> float | None:
    ends = [u.end if u.end is not None else u.start for u in utterances if u.start is not None]
    return max(ends) if ends else None
