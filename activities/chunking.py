"""Split markdown into overlapping chunks that fit the embedder's input window."""

from __future__ import annotations

from activities.embedders.base import MAX_INPUT_WORDS

OVERLAP_WORDS = 30


def chunk_text(text: str, max_words: int = MAX_INPUT_WORDS, overlap: int = OVERLAP_WORDS) -> list[str]:
    """Paragraphs are packed together up to `max_words`; a longer paragraph is cut into windows
    that overlap by `overlap` words, so a sentence on a boundary is whole in at least one chunk."""
    if overlap >= max_words:
        raise ValueError("overlap must be smaller than the chunk size")
    chunks: list[str] = []
    current: list[str] = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        words = paragraph.split()
        if not words:
            continue
        if len(current) + len(words) <= max_words:
            current += words
            continue
        if current:
            chunks.append(" ".join(current))
            current = []
        if len(words) <= max_words:
            current = words
            continue
        step = max_words - overlap
        for start in range(0, len(words), step):
            window = words[start : start + max_words]
            chunks.append(" ".join(window))
            if start + max_words >= len(words):
                break
    if current:
        chunks.append(" ".join(current))
    return chunks
