"""Text a model stopped writing mid-way (its token limit, a grammar that ran out): the last word
cut ("the congestion win"), or the text ending on a word no sentence ends with ("… and the")."""

from __future__ import annotations

import re

# Words no finished sentence ends with. Not prepositions: "the scope it was defined in" is English.
_ENDS_BADLY = frozenset("a an the and or but nor because although than whose their its our your my his very".split())
_TERMINAL = re.compile(r"[.!?:;)\]\"'”’`*]$")


# The longest a text may be in the schemas the product sends (studyflow/contracts/llm_drafts.py,
# activities/llm/prompts.py): a text that reaches one without ending is where the grammar cut it.
LENGTH_CAPS = (80, 120, 160, 500)


def truncated(text: str, *, sentence: bool = True) -> bool:
    """`sentence`: the text should end like a sentence (an explanation); a list item or a title
    need not, but still must not end on "the" or a hyphen."""
    flat = text.strip()
    if not flat:
        return False
    word = flat.split()[-1]
    last = word.casefold().strip(",")
    # "Vitamin A", "Plan B": a capital letter standing alone is a name, not the article "a".
    if word.isupper() and len(word) == 1:
        last = ""
    if flat.endswith(("-", ",", "(")) or last in _ENDS_BADLY or flat.startswith((",", ";")):
        return True
    if any(cap - 2 <= len(text.rstrip("\n")) <= cap for cap in LENGTH_CAPS) and not _TERMINAL.search(flat):
        return True
    if sentence and len(flat.split()) >= 10 and not _TERMINAL.search(flat):
        return True
    return False
