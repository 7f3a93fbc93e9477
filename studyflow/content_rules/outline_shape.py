"""Bring any outline to the product's fixed shape: exactly N chapters, each with a bounded number
of distinct topics. Also builds the manual outline used when the LLM cannot produce one."""

from __future__ import annotations

from studyflow.content_rules.item_flaws import title_key
from studyflow.contracts.llm_drafts import (
    CourseOutlineDraft,
    OutlineChapterDraft,
    OutlineTopicDraft,
)
from studyflow.contracts.workflow_inputs import OutlineShape

_CHAPTER_TEMPLATES = [
    "Foundations of {topic}",
    "Core concepts of {topic}",
    "Applying {topic} in practice",
    "Advanced {topic}",
    "Mastering {topic}: projects and review",
]
_TOPIC_TEMPLATES = [
    ("Key ideas of {chapter}", "The essential vocabulary and ideas of {chapter}."),
    ("Worked examples: {chapter}", "Step-by-step examples that apply {chapter}."),
    ("Common mistakes in {chapter}", "Pitfalls to recognise and avoid in {chapter}."),
    ("Practice: {chapter}", "Exercises that check your understanding of {chapter}."),
    ("Review: {chapter}", "A summary and self-test covering {chapter}."),
    ("Going further with {chapter}", "Where {chapter} leads next."),
]


def _pad_topics(chapter_title: str, topics: list[OutlineTopicDraft], count: int) -> None:
    taken = {title_key(t.title) for t in topics}
    for title_tpl, summary_tpl in _TOPIC_TEMPLATES:
        if len(topics) >= count:
            return
        title = title_tpl.format(chapter=chapter_title)
        if title_key(title) not in taken:
            topics.append(OutlineTopicDraft(title=title, summary=summary_tpl.format(chapter=chapter_title)))
            taken.add(title_key(title))
    index = 1
    while len(topics) < count:  # more topics requested than templates: number them
        topics.append(OutlineTopicDraft(title=f"{chapter_title}: part {index}", summary=""))
        index += 1


def _chapter_title(topic: str, index: int) -> str:
    if index < len(_CHAPTER_TEMPLATES):
        return _CHAPTER_TEMPLATES[index].format(topic=topic)
    return f"{topic}: chapter {index + 1}"


def normalize_outline(draft: CourseOutlineDraft, shape: OutlineShape, topic: str) -> CourseOutlineDraft:
    """Titles that name the same thing ("SQL joins", "Joins in SQL") are duplicates: a repeated
    topic would be generated twice and confuse learners; a repeated chapter takes a template title."""
    seen_topics: set[tuple] = set()
    seen_chapters: set[tuple] = set()
    chapters: list[OutlineChapterDraft] = []
    for chapter in draft.chapters[: shape.chapters]:
        title = chapter.title
        if title_key(title) in seen_chapters:
            title = _unused_chapter_title(topic, len(chapters), seen_chapters)
        seen_chapters.add(title_key(title))
        topics: list[OutlineTopicDraft] = []
        for item in chapter.topics:
            key = title_key(item.title)
            if key in seen_topics:
                continue
            seen_topics.add(key)
            topics.append(item)
            if len(topics) == shape.max_topics:
                break
        _pad_topics(title, topics, shape.min_topics)
        seen_topics.update(title_key(t.title) for t in topics)
        chapters.append(OutlineChapterDraft(title=title, topics=topics))
    while len(chapters) < shape.chapters:
        title = _unused_chapter_title(topic, len(chapters), seen_chapters)
        seen_chapters.add(title_key(title))
        topics = []
        _pad_topics(title, topics, shape.min_topics)
        chapters.append(OutlineChapterDraft(title=title, topics=topics))
    return CourseOutlineDraft(title=draft.title, chapters=chapters)


def _unused_chapter_title(topic: str, index: int, taken: set[tuple]) -> str:
    for candidate in [
        _chapter_title(topic, index),
        *(_chapter_title(topic, i) for i in range(len(_CHAPTER_TEMPLATES))),
    ]:
        if title_key(candidate) not in taken:
            return candidate
    return f"{topic}: chapter {index + 1}"


def manual_outline(topic: str, shape: OutlineShape) -> CourseOutlineDraft:
    chapters = []
    for index in range(shape.chapters):
        title = _chapter_title(topic, index)
        topics: list[OutlineTopicDraft] = []
        _pad_topics(title, topics, shape.min_topics)
        chapters.append(OutlineChapterDraft(title=title, topics=topics))
    return CourseOutlineDraft(title=topic, chapters=chapters)
