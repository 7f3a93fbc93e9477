"""What reading a source yields, and the one way a reader says it cannot be read. These cross a
process boundary as JSON (the reader runs in a bounded child process)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ReadLimits:
    page_timeout_seconds: float
    unpacked_max_bytes: int


@dataclass
class Section:
    unit: int  # page (0-based) of a PDF; segment or section index of anything else
    text: str
    locator: dict


@dataclass
class Extracted:
    units: int
    sections: list[Section] = field(default_factory=list)
    skipped: int = 0  # units that could not be read in time (or at all) and were left out
    title: str | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Extracted:
        return cls(
            units=data["units"],
            sections=[Section(**s) for s in data["sections"]],
            skipped=data.get("skipped", 0),
            title=data.get("title"),
        )


class Unreadable(Exception):
    """The file cannot be studied from; `message` is written for the learner."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def window_of(units: int, window: tuple[int, int] | None) -> range:
    """The units a call reads: none when only counting, else [start, end) within the document."""
    if window is None:
        return range(0)
    start, end = window
    return range(max(0, start), min(units, end))
