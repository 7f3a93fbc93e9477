"""Folding text for comparison: the same concept or point written two ways gets one key."""

from __future__ import annotations

import re
import unicodedata

_STOP = frozenset(
    "a an the of and or to in on for with by at from as is are be how what why when their its your "
    "into about using use".split()
)


def fold(text: str) -> str:
    """Case, accents, quotes and punctuation folded; words separated by one space."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'")
    return " ".join(re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text))


def concept_key(name: str) -> str:
    words = [w.rstrip("s") if len(w) > 3 else w for w in fold(name).split() if w not in _STOP]
    return " ".join(words) or fold(name)
