"""Text copied from the prompt or its worked examples instead of written for this request: the
outline of the Git example in a course on TCP, the instructions ("Cite in source_refs the
S-number…") on a flashcard. Measured as word n-grams shared with the prompt's own wording (the
learner's material inside the prompt is left out: quoting it is what material-based items do)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

N = 4
# A text is an echo when this share of its n-grams is in the prompt…
ECHO_SHARE = 0.5
# …or when it shares a run this long with it (no original sentence reuses 8 words of a prompt).
ECHO_RUN = 8
_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    # Plurals folded: a model copying "the S-numbers of the excerpts" writes "the S-number of the excerpt".
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(text.casefold())]


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@dataclass(frozen=True)
class PromptReference:
    """What a model was told (instructions and worked examples), as n-grams and short phrases."""

    grams: frozenset = frozenset()
    runs: frozenset = frozenset()
    phrases: frozenset = field(default_factory=frozenset)  # example titles and list items, whole
    # The worked examples' own subject ("git", "branch"…): in a course on anything else, text about
    # it was carried over from the example, copied or not (the Git course inside a TCP course).
    example_subject: re.Pattern | None = None

    @classmethod
    def of(
        cls, texts: list[str], phrases: Sequence[str] = (), example_subject: re.Pattern | None = None
    ) -> PromptReference:
        tokens = [words(t) for t in texts]
        return cls(
            grams=frozenset(g for t in tokens for g in ngrams(t, N)),
            runs=frozenset(g for t in tokens for g in ngrams(t, ECHO_RUN)),
            phrases=frozenset(" ".join(words(p)) for p in phrases if len(words(p)) >= 2),
            example_subject=example_subject,
        )


def prompt_echo(text: str, reference: PromptReference) -> bool:
    tokens = words(text)
    if not tokens:
        return False
    if " ".join(tokens) in reference.phrases:
        return True
    if reference.example_subject is not None and reference.example_subject.search(text):
        return True
    if ngrams(tokens, ECHO_RUN) & reference.runs:
        return True
    grams = ngrams(tokens, N)
    return len(grams) >= 2 and len(grams & reference.grams) / len(grams) >= ECHO_SHARE
