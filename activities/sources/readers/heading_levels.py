"""Which headings of a document are its title, its chapters and its topics, from their levels
(Markdown's #-count, Word's Title/Heading N): a single top heading that comes first is the
title; the next level down are chapters; anything deeper is a topic of the chapter above it."""

from __future__ import annotations


def roles(levels: list[int]) -> tuple[int | None, int]:
    """(the title's level or None, the chapters' level)."""
    if not levels:
        return None, 0
    top = min(levels)
    deeper = [level for level in levels if level != top]
    if levels[0] == top and levels.count(top) == 1 and deeper:
        return top, min(deeper)
    return None, top


class Place:
    """Where the text being read sits: its chapter and heading, as a locator's fields."""

    def __init__(self, levels: list[int]) -> None:
        self.title_level, self.chapter_level = roles(levels)
        self.title: str | None = None
        self.chapter: str | None = None
        self.heading: str | None = None

    def enter(self, level: int, text: str) -> None:
        if level == self.title_level and self.title is None:
            self.title, self.heading = text, text
        elif level <= self.chapter_level:
            self.chapter, self.heading = text, text
        else:
            self.heading = text

    def fields(self) -> dict:
        fields = {"heading": self.heading} if self.heading else {}
        if self.chapter:
            fields["chapter"] = self.chapter
        return fields
