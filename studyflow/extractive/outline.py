"""A course outline from the structure of the learner's documents: their chapters and headings as
the readers found them (carried on every chunk's locator), in the documents' order. A document
without headings (a transcript, plain text) is cut where its subject changes — the dips in
similarity between neighbouring passages — and each part is titled with its most salient term.

Every topic keeps the chunks it covers, so its notes, cards and questions come from them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studyflow.content_rules.item_flaws import title_key
from studyflow.extractive.salience import key_terms
from studyflow.extractive.sentences import plain

MAX_CHAPTERS = 12
MAX_TOPICS = 8
# A document cut by subject: about one chapter per this many passages, within these bounds.
PASSAGES_PER_CHAPTER = 6
MIN_CHAPTERS, MAX_UNSTRUCTURED_CHAPTERS = 2, 6
TOPICS_PER_UNSTRUCTURED_CHAPTER = 3


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    locator: dict
    text: str
    vector: list[float] | None = None


@dataclass
class TopicPlan:
    title: str
    chunk_ids: list[str] = field(default_factory=list)
    summary: str = ""


@dataclass
class ChapterPlan:
    title: str
    topics: list[TopicPlan] = field(default_factory=list)


@dataclass
class OutlinePlan:
    title: str
    chapters: list[ChapterPlan]


def document_title(passages: list[Passage]) -> str | None:
    """The heading of the text before the first chapter: the document's own title."""
    for passage in passages:
        if passage.locator.get("chapter"):
            return None
        if passage.locator.get("heading"):
            return passage.locator["heading"]
    return None


def _structured(passages: list[Passage]) -> list[ChapterPlan]:
    chapters: list[ChapterPlan] = []
    intro: list[str] = []  # a chapter's text before its first topic
    for passage in passages:
        chapter_title = passage.locator.get("chapter")
        if not chapter_title:
            continue
        if not chapters or title_key(chapters[-1].title) != title_key(chapter_title):
            chapters.append(ChapterPlan(chapter_title))
            intro = []
        chapter = chapters[-1]
        heading = passage.locator.get("heading") or chapter_title
        if title_key(heading) == title_key(chapter_title):
            if chapter.topics:
                chapter.topics[-1].chunk_ids.append(passage.chunk_id)
            else:
                intro.append(passage.chunk_id)
            continue
        if not chapter.topics or title_key(chapter.topics[-1].title) != title_key(heading):
            chapter.topics.append(TopicPlan(heading, chunk_ids=list(intro)))
            intro = []
        chapter.topics[-1].chunk_ids.append(passage.chunk_id)
    for chapter in chapters:
        if not chapter.topics:  # a chapter without sub-headings is one topic
            chapter.topics.append(TopicPlan(chapter.title, chunk_ids=list(intro)))
    return chapters


def _cut_points(vectors: list[list[float]], parts: int, min_size: int) -> list[int]:
    """Where to cut a run of passages into `parts`: the gaps where the passages before and after
    are least alike (two on each side), at least `min_size` apart."""
    n = len(vectors)
    if parts <= 1 or n < 2 * min_size:
        return []
    matrix = np.asarray(vectors, dtype=np.float32)
    matrix /= np.where(
        np.linalg.norm(matrix, axis=1, keepdims=True) == 0, 1, np.linalg.norm(matrix, axis=1, keepdims=True)
    )
    scores = []
    for gap in range(min_size, n - min_size + 1):
        before, after = matrix[max(0, gap - 2) : gap].mean(0), matrix[gap : gap + 2].mean(0)
        scores.append((float(before @ after), gap))
    cuts: list[int] = []
    for _score, gap in sorted(scores):
        if all(abs(gap - c) >= min_size for c in cuts):
            cuts.append(gap)
        if len(cuts) == parts - 1:
            break
    return sorted(cuts)


def _even_cuts(n: int, parts: int) -> list[int]:
    return [round(n * i / parts) for i in range(1, parts)] if parts > 1 else []


def _title_of(passages: list[Passage], taken: set) -> str:
    text = plain(" ".join(p.text for p in passages))
    for term in key_terms(text, top=15):
        title = term[:1].upper() + term[1:]
        if title_key(title) not in taken:
            taken.add(title_key(title))
            return title
    return f"Part {len(taken) + 1}"


def _when(passages: list[Passage]) -> str:
    start = passages[0].locator.get("start")
    return f" ({start})" if start else ""


def _unstructured(passages: list[Passage]) -> list[ChapterPlan]:
    n = len(passages)
    parts = max(MIN_CHAPTERS, min(MAX_UNSTRUCTURED_CHAPTERS, round(n / PASSAGES_PER_CHAPTER))) if n > 1 else 1
    parts = min(parts, n)
    vectors = [p.vector for p in passages if p.vector is not None]
    cuts = _cut_points(vectors, parts, 2) if len(vectors) == n else []
    if len(cuts) != parts - 1:
        cuts = _even_cuts(n, parts)
    bounds = [0, *cuts, n]
    taken: set = set()
    chapters = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        block = passages[start:end]
        chapter = ChapterPlan(_title_of(block, taken))
        topic_parts = min(TOPICS_PER_UNSTRUCTURED_CHAPTER, len(block))
        inner = [0, *_even_cuts(len(block), topic_parts), len(block)]
        for a, b in zip(inner, inner[1:], strict=False):
            part = block[a:b]
            if part:
                title = _title_of(part, taken) + _when(part)
                chapter.topics.append(TopicPlan(title, chunk_ids=[p.chunk_id for p in part]))
        chapters.append(chapter)
    return chapters


def _bounded(chapters: list[ChapterPlan]) -> list[ChapterPlan]:
    """At most MAX_CHAPTERS chapters of MAX_TOPICS topics: what does not fit joins the last kept."""
    kept = chapters[:MAX_CHAPTERS]
    for extra in chapters[MAX_CHAPTERS:]:
        kept[-1].topics[-1].chunk_ids += [c for t in extra.topics for c in t.chunk_ids]
    for chapter in kept:
        for overflow in chapter.topics[MAX_TOPICS:]:
            chapter.topics[MAX_TOPICS - 1].chunk_ids += overflow.chunk_ids
        del chapter.topics[MAX_TOPICS:]
    return kept


def document_outline(documents: list[list[Passage]], fallback_title: str) -> OutlinePlan | None:
    """The outline of one or more documents (each its passages in reading order); None when they
    have no text at all."""
    chapters: list[ChapterPlan] = []
    titles = []
    for passages in documents:
        if not passages:
            continue
        titles.append(document_title(passages))
        structured = _structured(passages)
        chapters += structured if len(structured) >= 2 else _unstructured(passages)
    if not chapters:
        return None
    # Chapters of different documents may share a title ("Introduction"): each stays, numbered.
    seen: dict = {}
    for chapter in chapters:
        key = title_key(chapter.title)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            chapter.title = f"{chapter.title} ({seen[key]})"
    title = titles[0] if len(titles) == 1 and titles[0] else fallback_title
    return OutlinePlan(title=title, chapters=_bounded(chapters))
