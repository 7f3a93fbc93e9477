"""The checks every text a model writes goes through, whatever it is part of: a card, a question,
notes, an outline, a remediation plan, a tutor's answer. Each finds one way a model that cannot
do the task fails (JSON left in the text, the schema's field names as content, the prompt copied,
raw HTML, a fence never closed, a sentence cut off); `plain_reason` says it in words a learner
understands, with what to do about it."""

from __future__ import annotations

from studyflow.content_rules.item_flaws import Finding, Flaw
from studyflow.content_rules.json_debris import json_fragment
from studyflow.content_rules.markup import raw_html, unclosed_fence
from studyflow.content_rules.prompt_echo import PromptReference, prompt_echo
from studyflow.content_rules.schema_echo import schema_echo
from studyflow.content_rules.truncation import truncated

NO_REFERENCE = PromptReference()

WAY_FORWARD = (
    "The model in use could not write this. Build the course from your own documents (My material), "
    "or connect a capable model (see `studyflow models`)."
)

_IN_WORDS = {
    Flaw.JSON_FRAGMENT: "it left pieces of its JSON in the text",
    Flaw.SCHEMA_FIELD_ECHO: "it wrote the names of the fields it was asked for instead of their content",
    Flaw.PROMPT_ECHO: "it copied its instructions or their worked example instead of writing about this subject",
    Flaw.RAW_HTML: "it left HTML tags in the text",
    Flaw.UNCLOSED_FENCE: "it opened a code block and never closed it",
    Flaw.TRUNCATED: "it stopped in the middle of a sentence",
    Flaw.DEBRIS: "it left brackets, quotes or markdown fences in the text",
    Flaw.DUPLICATE_TITLE: "it repeated the same title",
}


def text_findings(
    name: str,
    text: str,
    reference: PromptReference = NO_REFERENCE,
    *,
    sentence: bool = False,
    markdown: bool = False,
) -> list[Finding]:
    """Every finding for one text. `sentence`: it should end like a sentence; `markdown`: code
    fences are allowed (notes), but must be closed."""
    found: list[Finding] = []
    if not text or not text.strip():
        return found
    if fragment := json_fragment(text):
        found.append(
            Finding(Flaw.JSON_FRAGMENT, f'the {name} holds a piece of JSON ("{fragment[:30]}"): write plain text')
        )
    if field := schema_echo(text):
        found.append(Finding(Flaw.SCHEMA_FIELD_ECHO, f'the {name} is the field name "{field}", not its content'))
    if prompt_echo(text, reference):
        found.append(Finding(Flaw.PROMPT_ECHO, f"the {name} copies the instructions or their example"))
    if tag := raw_html(text):
        found.append(Finding(Flaw.RAW_HTML, f"the {name} holds the HTML tag {tag[:20]}: write plain text"))
    if markdown and unclosed_fence(text):
        found.append(Finding(Flaw.UNCLOSED_FENCE, f"the {name} opens a code block it never closes"))
    if truncated(text, sentence=sentence):
        found.append(Finding(Flaw.TRUNCATED, f"the {name} stops mid-sentence"))
    return found


def _all(texts: list[tuple[str, str, dict]], reference: PromptReference) -> list[Finding]:
    found = []
    for name, text, options in texts:
        found += text_findings(name, text, reference, **options)
    return found


def notes_problems(draft, reference: PromptReference) -> list[Finding]:
    texts = [("explanation", draft.explanation, {"sentence": True, "markdown": True})]
    texts += [(f"key point {i}", p, {}) for i, p in enumerate(draft.key_points, 1)]
    texts += [("example", draft.example, {"markdown": True})]
    texts += [(f"question {i}", q, {}) for i, q in enumerate(draft.interview_questions, 1)]
    return _all(texts, reference)


def outline_problems(draft, reference: PromptReference) -> list[Finding]:
    texts: list[tuple[str, str, dict]] = [("course title", draft.title, {})]
    for chapter in draft.chapters:
        texts.append((f'chapter "{chapter.title[:40]}"', chapter.title, {}))
        for topic in chapter.topics:
            texts.append((f'topic "{topic.title[:40]}"', topic.title, {}))
            texts.append((f'summary of "{topic.title[:40]}"', topic.summary, {}))
    return _all(texts, reference)


def remediation_problems(draft, reference: PromptReference) -> list[Finding]:
    texts = [("explanation", draft.explanation, {"sentence": True})]
    texts += [(f"key point {i}", p, {}) for i, p in enumerate(draft.key_points, 1)]
    return _all(texts, reference)


def answer_problems(answer: str, reference: PromptReference) -> list[Finding]:
    return text_findings("answer", answer, reference, sentence=True)


def plain_reason(found: list[Finding]) -> str:
    """'it copied its instructions …; it left pieces of its JSON in the text' (each reason once)."""
    reasons = list(dict.fromkeys(_IN_WORDS.get(f.flaw, f.detail) for f in found))
    return "; ".join(reasons[:3])
