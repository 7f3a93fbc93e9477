"""Item-writing flaws in generated questions, cards and outlines (pure: no I/O).

Structure is checked elsewhere (`study_validation`): four distinct options, one correct answer.
These checks find what makes a structurally sound item a bad one: a clue that gives the answer
away, distractors nobody would pick, text a model left half-written. Each finding carries a
reason code (stable: stored in quality reports and counted by the benchmark) and a sentence the
model is shown when it is asked to rewrite the item.

The thresholds were chosen on the labelled set `tests/data/item_flaws.jsonl`
(`python -m bench.item_flaws_bench` prints precision and recall per reason for any thresholds).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Flaw(StrEnum):
    LONGEST_OPTION = "longest_option_is_answer"
    ALL_OR_NONE_OF_THE_ABOVE = "all_or_none_of_the_above"
    CLANG_CLUE = "clang_clue"
    NEAR_DUPLICATE_OPTIONS = "near_duplicate_options"
    NEGATIVE_STEM = "unemphasised_negative_stem"
    DEBRIS = "debris"
    BACK_REPEATS_FRONT = "back_repeats_front"
    DUPLICATE_TITLE = "duplicate_title"
    UNGROUNDED = "ungrounded"
    # Failures of a model that cannot do the task (the bundled 135M one): checked on every text a
    # model writes, notes, outlines, plans and chat answers included (`output_checks`).
    JSON_FRAGMENT = "json_fragment"
    SCHEMA_FIELD_ECHO = "schema_field_echo"
    PROMPT_ECHO = "prompt_echo"
    RAW_HTML = "raw_html"
    UNCLOSED_FENCE = "unclosed_fence"
    TRUNCATED = "truncated"


# Scored on real outputs of the bundled model (tests/data/bundled_outputs.jsonl), not on the
# hand-written set (tests/data/item_flaws.jsonl), whose items were written for the other reasons.
MODEL_FAILURES = frozenset(
    {
        Flaw.JSON_FRAGMENT,
        Flaw.SCHEMA_FIELD_ECHO,
        Flaw.PROMPT_ECHO,
        Flaw.RAW_HTML,
        Flaw.UNCLOSED_FENCE,
        Flaw.TRUNCATED,
    }
)


@dataclass(frozen=True)
class Finding:
    flaw: Flaw
    detail: str  # what is wrong, in words the model can act on


@dataclass(frozen=True)
class FlawThresholds:
    # The correct option is "clearly" the longest when it is this many times the next longest
    # option's length and at least this many characters longer.
    longest_ratio: float = 1.4
    longest_margin_chars: int = 12
    # Two options whose sentence embeddings are at least this similar say the same thing.
    near_duplicate_similarity: float = 0.88


LETTERS = "ABCD"

_STOPWORDS = frozenset(
    """a an the and or but of to in on at by for with from into onto over under about as is are was
    were be been being it its this that these those which what who whom whose when where why how
    does do did done doing has have had having can could should would will shall may might must
    than then so such not no yes true false there their they them you your we our he she his her
    i me my one two used use using following best most also only each other some any all many
    much more very just like between within without during after before""".split()
)
_WORD = re.compile(r"[a-z0-9]+")
_CODE_SPAN = re.compile(r"`[^`]*`")


def _stem(word: str) -> str:
    """A light stemmer: enough that "merges", "merged" and "merge" are one word."""
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ers", ""), ("ed", ""), ("er", ""), ("ly", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not (suffix == "s" and word.endswith("ss")):
            word = word[: -len(suffix)] + replacement
            break
    return word.rstrip("e") if len(word) > 3 else word


def content_stems(text: str) -> set[str]:
    """The words that carry meaning, lightly stemmed ("joins" and "join" are one word)."""
    return {_stem(w) for w in _WORD.findall(text.casefold()) if w not in _STOPWORDS}


def _key_stems(text: str) -> set[str]:
    """Content words long enough to be a clue (not "x", "use", "set")."""
    return {_stem(w) for w in _WORD.findall(text.casefold()) if w not in _STOPWORDS and len(w) >= 4}


# --- questions ----------------------------------------------------------------------------
def _longest_option(options: list[str], answer_index: int, t: FlawThresholds) -> Finding | None:
    lengths = [len(" ".join(o.split())) for o in options]
    correct = lengths[answer_index]
    runner_up = max(length for i, length in enumerate(lengths) if i != answer_index)
    if correct >= t.longest_ratio * runner_up and correct - runner_up >= t.longest_margin_chars:
        return Finding(
            Flaw.LONGEST_OPTION,
            "the correct option is the only long, detailed one: make every option similar in length and detail",
        )
    return None


_CATCH_ALL = re.compile(
    r"\b(all|none|both|neither)\s+(of\s+)?(the\s+)?(above|these|those|them|previous|options|answers|choices)\b"
    r"|^\s*(both\s+|neither\s+)?\(?[a-d]\)?\s+(and|&|n?or)\s+\(?[a-d]\)?\s*(are\s+(correct|true))?\s*\.?$",
    re.IGNORECASE,
)


def _catch_all_option(options: list[str]) -> Finding | None:
    for i, option in enumerate(options):
        if _CATCH_ALL.search(option):
            return Finding(
                Flaw.ALL_OR_NONE_OF_THE_ABOVE,
                f'option {LETTERS[i]} ("{option}") refers to the other options: replace it with a real answer',
            )
    return None


def _clang_clue(question: str, options: list[str], answer_index: int) -> Finding | None:
    stem_words = _key_stems(question)
    shared = [stem_words & _key_stems(o) for o in options]
    in_distractors = set().union(*(words for i, words in enumerate(shared) if i != answer_index))
    clues = shared[answer_index] - in_distractors
    if clues:
        return Finding(
            Flaw.CLANG_CLUE,
            f'only the correct option repeats a word of the question ("{sorted(clues)[0]}…"): '
            "reword it, or use the word in the distractors too",
        )
    return None


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_FORMULA = re.compile(r"[()\[\]{}*/^²³+=<>\"'`]")
# Words that change what an option claims while leaving its shape alone: negations and
# quantifiers ("runs only when…", "runs whether or not…", "runs when no…").
_POLARITY = re.compile(
    r"\b(not|no|cannot|never|none|without|only|always|all|every|some|any|whether)\b|n't\b", re.IGNORECASE
)


def _may_say_the_same(a: str, b: str) -> bool:
    """Options of one shape that differ in a number, a negation or a quantifier are different
    answers however close their words or embeddings ("1000"/"10000", "can"/"cannot be changed",
    "only when"/"whether or not"); so are formulas and code, where a bracket or a quote is the
    difference ("O(log n)"/"O(n log n)", `hi`/`"hi"`)."""
    if _NUMBER.findall(a) != _NUMBER.findall(b):
        return False
    if _FORMULA.search(a) or _FORMULA.search(b):
        return False
    polarity = lambda text: sorted(m.group().casefold() for m in _POLARITY.finditer(text))  # noqa: E731
    return polarity(a) == polarity(b)


def _near_duplicates(options: list[str], option_vectors: list[list[float]] | None, t: FlawThresholds) -> Finding | None:
    words = [sorted(_stem(w) for w in _WORD.findall(o.casefold()) if w not in _STOPWORDS) for o in options]
    for i in range(len(options)):
        for j in range(i + 1, len(options)):
            if not _may_say_the_same(options[i], options[j]):
                continue
            same_words = bool(words[i]) and words[i] == words[j]
            similar = (
                option_vectors is not None
                and cosine(option_vectors[i], option_vectors[j]) >= t.near_duplicate_similarity
            )
            if same_words or similar:
                return Finding(
                    Flaw.NEAR_DUPLICATE_OPTIONS,
                    f"options {LETTERS[i]} and {LETTERS[j]} say the same thing: replace one with "
                    "a different plausible answer",
                )
    return None


_NEGATIVE = re.compile(
    r"\b(not|except|never|(?<!at\s)least(?!\s+(?:common|squares|significant))|cannot|isn't|aren't|doesn't|don't|won't|wasn't|can't|(?:is|are)\s+(?:false|incorrect|untrue))\b",
    re.IGNORECASE,
)


def _emphasised(text: str, start: int, end: int) -> bool:
    word = text[start:end]
    if word.isupper() and len(word.replace(" ", "")) > 1:
        return True
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    return any(before.endswith(mark) and after.startswith(mark) for mark in ("**", "__", "*", "_")) or (
        text[max(0, start - 3) : start].lower() == "<b>"
    )


def _negative_stem(question: str) -> Finding | None:
    prose = _CODE_SPAN.sub(lambda m: " " * len(m.group()), question)  # `not x` is code, not a negation
    for match in _NEGATIVE.finditer(prose):
        negation = re.search(r"false|incorrect|untrue", match.group(), re.IGNORECASE)
        start, end = (match.start() + negation.start(), match.end()) if negation else match.span()
        if not _emphasised(question, start, end):
            return Finding(
                Flaw.NEGATIVE_STEM,
                f'the question asks for what is "{question[start:end]}" without emphasis: write '
                "it in capitals (NOT, EXCEPT) or ask positively",
            )
    return None


# --- text of any item ------------------------------------------------------------------------
_FRAGMENTS = re.compile(
    r"[\"']\s*[}\]]\s*,?\s*[{\[]"  # '}, {   "], [
    r"|[{\[,]\s*\"[A-Za-z_]+\"\s*:"  # {"question":   , "answer":
    r"|^\s*[\"'}\]]\s*,"  # a leftover start: ",  },
    r"|[\"']\s*,\s*$"  # a leftover end: ",
    r"|\\[nt\"]",  # escapes that were never decoded
    re.IGNORECASE,
)
_PAIRS = {"(": ")", "[": "]", "{": "}"}
_ENUMERATOR = re.compile(r"(^|\s)\(?[a-dA-D1-9]\)(?=\s)")  # "a) first b) second" lists


def _balanced(text: str) -> bool:
    stack: list[str] = []
    for char in text:
        if char in _PAIRS:
            stack.append(_PAIRS[char])
        elif char in _PAIRS.values():
            if not stack or stack.pop() != char:
                return False
    return not stack and text.count('"') % 2 == 0 and text.count("“") == text.count("”")


def debris(text: str) -> bool:
    """Left-overs of the model's JSON or markdown in a text meant for the learner."""
    if "```" in text or text.count("`") % 2:
        return True
    prose = _CODE_SPAN.sub(" ", text)
    if _FRAGMENTS.search(prose):
        return True
    # "a) first b) second" lists close brackets they never opened: balanced without them is fine.
    prose_balanced = _balanced(prose) or _balanced(_ENUMERATOR.sub(" ", prose))
    return not prose_balanced or not all(_balanced(span[1:-1]) for span in _CODE_SPAN.findall(text))


def _debris_in(fields: dict[str, str]) -> Finding | None:
    for name, text in fields.items():
        if text and debris(text):
            return Finding(
                Flaw.DEBRIS,
                f"the {name} holds left-over JSON or markdown (brackets, quotes or fences): write it as plain text",
            )
    return None


def question_flaws(
    question: str,
    options: list[str],
    answer_index: int,
    *,
    explanation: str = "",
    key_points: Sequence[str] = (),
    option_vectors: list[list[float]] | None = None,
    thresholds: FlawThresholds = FlawThresholds(),
) -> list[Finding]:
    """Every flaw of a structurally valid question (four distinct options, one correct)."""
    texts = {"question": question, "explanation": explanation}
    texts.update({f"option {LETTERS[i]}": o for i, o in enumerate(options)})
    texts.update({f"key point {i + 1}": p for i, p in enumerate(key_points)})
    checks = (
        _debris_in(texts),
        _catch_all_option(options),
        _longest_option(options, answer_index, thresholds),
        _clang_clue(question, options, answer_index),
        _near_duplicates(options, option_vectors, thresholds),
        _negative_stem(question),
    )
    return [finding for finding in checks if finding is not None]


# --- cards ------------------------------------------------------------------------------------
def card_flaws(front: str, back: str) -> list[Finding]:
    findings = []
    if found := _debris_in({"front": front, "back": back}):
        findings.append(found)
    back_words, front_words = content_stems(back), content_stems(front)
    same_text = " ".join(front.split()).casefold().rstrip("?.!") == " ".join(back.split()).casefold().rstrip("?.!")
    # A one-word back taken from a front that offers a choice ("TCP or UDP: which …?") is an
    # answer; from a front that is little more than that word ("Define recursion") it is an echo.
    echoed = bool(back_words) and back_words <= front_words and (len(back_words) >= 2 or len(front_words) <= 2)
    if same_text or echoed:
        findings.append(
            Finding(Flaw.BACK_REPEATS_FRONT, "the back only repeats the front: give the answer the front asks for")
        )
    return findings


# --- outlines ----------------------------------------------------------------------------------
_NUMBERING = re.compile(
    r"^\s*((chapter|part|unit|module|section|lesson)\s+)?([0-9]+|[ivx]+)\s*[:.)\-–]\s*", re.IGNORECASE
)


def title_key(title: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Titles with the same key name the same thing ("SQL joins", "Joins in SQL", "2. SQL Joins!"):
    the same words in any order, and the same numbers in the same order ("Topic 1.2" is not
    "Topic 2.1"). A leading chapter number does not count."""
    body = _NUMBERING.sub("", title)
    words = frozenset(w for w in content_stems(body) if not w.isdigit())
    return (words or frozenset([title.casefold().strip()]), tuple(_NUMBER.findall(body)))


def duplicate_titles(titles: list[str]) -> list[int]:
    """Indexes of titles that repeat an earlier one."""
    seen: set[tuple] = set()
    repeats = []
    for index, title in enumerate(titles):
        key = title_key(title)
        if key in seen:
            repeats.append(index)
        seen.add(key)
    return repeats


def outline_flaws(chapter_titles: list[str], topic_titles: list[str]) -> list[Finding]:
    findings = []
    for index in duplicate_titles(chapter_titles):
        findings.append(Finding(Flaw.DUPLICATE_TITLE, f'chapter "{chapter_titles[index]}" repeats an earlier chapter'))
    for index in duplicate_titles(topic_titles):
        findings.append(Finding(Flaw.DUPLICATE_TITLE, f'topic "{topic_titles[index]}" repeats an earlier topic'))
    return findings
