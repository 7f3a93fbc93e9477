"""A flashcard set as an Anki package (.apkg), built with genanki.

Anki renders card fields as HTML, and the cards were written by an LLM: every field is escaped.
Ids derive from the study content's id, so re-importing an updated export updates the same deck
and notes instead of adding duplicates.
"""

from __future__ import annotations

import html
import tempfile
import uuid
from pathlib import Path

import genanki

# Fixed for ever: Anki matches note types by id across imports.
_NOTE_TYPE = genanki.Model(
    1_735_202_411,
    "studyflow basic",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Topic"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}<div class="topic">{{Topic}}</div>',
        }
    ],
    css=(
        ".card { font-family: sans-serif; font-size: 20px; text-align: left; } .topic { color: #666; font-size: 14px; }"
    ),
)


def deck_id_for(content_id: uuid.UUID) -> int:
    # Anki deck ids are signed 64-bit; 62 bits of the uuid stay clear of the sign and of id 1.
    return (content_id.int >> 66) | (1 << 40)


def build_apkg(content_id: uuid.UUID, deck_name: str, cards: list[dict]) -> bytes:
    deck = genanki.Deck(deck_id_for(content_id), deck_name)
    for card in cards:
        deck.add_note(
            genanki.Note(
                model=_NOTE_TYPE,
                fields=[_field(card.get("front")), _field(card.get("back")), _field(card.get("topic_title"))],
                guid=genanki.guid_for(str(content_id), str(card.get("id"))),
            )
        )
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "deck.apkg"
        genanki.Package(deck).write_to_file(path)
        return path.read_bytes()


def _field(text: object) -> str:
    return html.escape(str(text or "")).replace("\n", "<br>")
