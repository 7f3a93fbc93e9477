"""Render validated topic notes as the markdown learners read (four fixed sections)."""

from __future__ import annotations

from studyflow.contracts.llm_drafts import TopicNotesDraft


def render_notes(title: str, notes: TopicNotesDraft) -> str:
    parts = [f"# {title}", "", "## Explanation", "", notes.explanation.strip(), "", "## Key points", ""]
    parts += [f"- {point}" for point in notes.key_points]
    if notes.example.strip():
        parts += ["", "## Example", "", notes.example.strip()]
    parts += ["", "## Interview questions", ""]
    parts += [f"{i}. {q}" for i, q in enumerate(notes.interview_questions, start=1)]
    return "\n".join(parts) + "\n"
