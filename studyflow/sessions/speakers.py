"""Which voice is the tutor's and which the learner's. In order: a mapping the tutor gave (or
corrected), the names we know (the tutor's and the learner's display names), a title in the name
("Ms Patel", "Dr. Mensah": the tutor), and last the way they talk — the tutor asks the questions.
Anyone else (a parent joining for a minute) is `other`, and their words are neither's evidence."""

from __future__ import annotations

import re
from collections import Counter
from enum import StrEnum

from studyflow.sessions.transcript import UNKNOWN_SPEAKER, Utterance


class SpeakerRole(StrEnum):
    tutor = "tutor"
    learner = "learner"
    other = "other"


_TITLES = re.compile(
    r"^(mr|mrs|ms|miss|mx|dr|prof|professor|sir|madam|coach|teacher|tutor|señor|señora|senor|senora|profe|herr|frau"
    r"|mme|mlle|m)\.?(\s|$)",
    re.IGNORECASE,
)
_PARENT = re.compile(r"\b(mum|mom|dad|father|mother|parent|guardian)\b", re.IGNORECASE)


def _tokens(name: str) -> set[str]:
    return {t for t in re.findall(r"[a-zà-ÿ]+", name.casefold()) if len(t) > 1}


def _matches(speaker: str, known: str | None) -> bool:
    if not known:
        return False
    return bool(_tokens(speaker) & _tokens(known))


def infer_roles(
    utterances: list[Utterance],
    *,
    given: dict[str, str] | None = None,
    tutor_name: str | None = None,
    learner_name: str | None = None,
) -> tuple[dict[str, SpeakerRole], str]:
    """The role of every speaker and how it was decided (`given`, `names`, `inferred`)."""
    words: Counter = Counter()
    questions: Counter = Counter()
    for u in utterances:
        words[u.speaker] += u.words
        questions[u.speaker] += u.text.count("?")
    speakers = [s for s, _ in words.most_common()]
    roles: dict[str, SpeakerRole] = {}
    given_roles = {k: SpeakerRole(v) for k, v in (given or {}).items() if k in words}
    if given_roles:
        roles.update(given_roles)
        how = "given"
    else:
        how = "names"
    open_ = [s for s in speakers if s not in roles]

    def assign(role: SpeakerRole, candidates: list[str]) -> None:
        if role not in roles.values() and len(candidates) == 1:
            roles[candidates[0]] = role

    assign(SpeakerRole.tutor, [s for s in open_ if _matches(s, tutor_name) and not _matches(s, learner_name)])
    assign(SpeakerRole.learner, [s for s in open_ if s not in roles and _matches(s, learner_name)])
    assign(SpeakerRole.tutor, [s for s in open_ if s not in roles and _TITLES.match(s)])
    for s in open_:
        if s not in roles and (s == UNKNOWN_SPEAKER or _PARENT.search(s)):
            roles[s] = SpeakerRole.other
    rest = [s for s in speakers if s not in roles]
    if rest and (SpeakerRole.tutor not in roles.values() or SpeakerRole.learner not in roles.values()):
        if how != "given":
            how = "inferred" if not (tutor_name or learner_name) or not roles else how
        main = rest[:2]  # the two who talk most; a third voice is a visitor
        if SpeakerRole.tutor not in roles.values():
            # The tutor asks the questions: most questions per utterance-word share, ties by words.
            tutor = max(main, key=lambda s: (questions[s], words[s]))
            roles[tutor] = SpeakerRole.tutor
            main = [s for s in main if s != tutor]
            how = "inferred"
        if SpeakerRole.learner not in roles.values() and main:
            roles[main[0]] = SpeakerRole.learner
            how = "inferred"
    for s in speakers:
        roles.setdefault(s, SpeakerRole.other)
    return roles, how


def role_names(roles: dict[str, SpeakerRole]) -> tuple[str | None, str | None]:
    tutor = next((s for s, r in roles.items() if r == SpeakerRole.tutor), None)
    learner = next((s for s, r in roles.items() if r == SpeakerRole.learner), None)
    return tutor, learner
