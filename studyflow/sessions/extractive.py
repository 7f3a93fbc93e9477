"""A session analysed without a model (CONTENT_ENGINE=extractive, or auto with the bundled model):
honest about what it is — salient terms and the learner's own words, nothing inferred beyond cue
words. Per window:

- concepts: YAKE's salient terms of what the learner said and the tutor asked (speakers' names and
  chatter left out), each with the learner's utterances that use it as evidence (quoted as said);
- what the learner showed: cue words around that evidence — the learner's "I don't get it",
  "I thought…", the tutor's "not quite", "careful" against "exactly", "that's right" — read in
  time order like the merge does (wrong then right: partial);
- strengths and areas name the concepts by verdict; action items are the tutor's own sentences
  that set work ("for next week…", "practise…").
The analysis is marked `extractive` wherever it is shown."""

from __future__ import annotations

import re

from studyflow.extractive.salience import key_terms, occurs
from studyflow.sessions.merge import combine_verdicts
from studyflow.sessions.speakers import SpeakerRole
from studyflow.sessions.transcript import Utterance

CONCEPTS_PER_WINDOW = 4
_CONFUSED = re.compile(
    r"\b(i don'?t (get|understand|know)|i'?m (confused|lost|not sure)|no idea|i thought|wait,? (what|why)|"
    r"that doesn'?t make sense|i always mix)\b",
    re.IGNORECASE,
)
_CORRECTION = re.compile(
    r"^(\W*)(not quite|no[,.!]|nope|careful|almost|close,|hmm,? not|that'?s not|not exactly|actually,? no|"
    r"let'?s (check|look again)|are you sure)",
    re.IGNORECASE,
)
_CONFIRMATION = re.compile(
    r"^(\W*)(exactly|yes[,.!]|yep|right[,.!]|correct|perfect|spot on|well done|great|good[,.!]|brilliant|"
    r"nice|that'?s (it|right|correct)|lovely|excellent)",
    re.IGNORECASE,
)
_ACTION = re.compile(
    r"\b(for next (week|time|session)|homework|before (next|our next)|i'?ll send|i want you to|try to|"
    r"practi[sc]e|have a go at|your task|revise|make flashcards|re-?read)\b",
    re.IGNORECASE,
)
_CHATTER = frozenset(
    "okay ok yeah yes um uh hmm like right sorry thanks thank kind sort really just gonna wanna actually "
    "maybe think know mean guess thing things stuff good great cool".split()
)


def _is_chatter(term: str, speakers: set[str]) -> bool:
    words = [w.casefold() for w in re.findall(r"[\w']+", term)]
    if not words or all(w in _CHATTER for w in words):
        return True
    return any(w in speakers for w in words)


def _sentence_with(term: str, text: str, limit: int = 30) -> str:
    """The sentence that uses the term (the whole utterance when that sentence is a fragment)."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    found = next((s for s in sentences if occurs(term, s)), text)
    if len(found.split()) < 5:
        found = text
    return " ".join(found.split()[:limit])


def _verdict_at(utterances: list[Utterance], roles: dict[str, SpeakerRole], position: int) -> str | None:
    """What the learner's utterance at `position` shows, from its words and the tutor's reply."""
    said = utterances[position].text
    reply = next(
        (u.text for u in utterances[position + 1 : position + 3] if roles.get(u.speaker) == SpeakerRole.tutor), ""
    )
    if _CONFUSED.search(said) or _CORRECTION.match(reply):
        return "misconception"
    if _CONFIRMATION.match(reply):
        return "understood"
    return None


def analyse_window(utterances: list[Utterance], roles: dict[str, SpeakerRole], first: int, last: int) -> dict:
    """A SessionInsightsDraft (as a dict) for utterances[first..last]."""
    part = list(range(first, last + 1))
    learner = [i for i in part if roles.get(utterances[i].speaker) == SpeakerRole.learner]
    tutor_questions = [
        i for i in part if roles.get(utterances[i].speaker) == SpeakerRole.tutor and "?" in utterances[i].text
    ]
    names = {w.casefold() for u in utterances for w in re.findall(r"[\w']+", u.speaker)}
    text = "\n".join(utterances[i].text for i in sorted(learner + tutor_questions))
    concepts: list[dict] = []
    for term in key_terms(text, top=30):
        if len(concepts) >= CONCEPTS_PER_WINDOW:
            break
        if _is_chatter(term, names) or any(occurs(term, c["name"]) or occurs(c["name"], term) for c in concepts):
            continue
        uses = [i for i in learner if occurs(term, utterances[i].text) and utterances[i].words >= 3]
        if not uses:
            continue
        verdicts = [v for v in (_verdict_at(utterances, roles, i) for i in uses) if v]
        concepts.append(
            {
                "name": term,
                "difficulty": 5,
                "learner_showed": combine_verdicts(verdicts) if verdicts else "partial",
                "evidence": [
                    {"quote": _sentence_with(term, utterances[i].text), "speaker": utterances[i].speaker}
                    for i in uses[:2]
                ],
            }
        )
    actions = [
        _sentence_with(m.group(0), utterances[i].text)
        for i in part
        if roles.get(utterances[i].speaker) == SpeakerRole.tutor and (m := _ACTION.search(utterances[i].text))
    ]
    return {
        "topics": [c["name"] for c in concepts[:2]],
        "concepts": concepts,
        "strengths": [f"Showed understanding of {c['name']}" for c in concepts if c["learner_showed"] == "understood"],
        "areas_for_improvement": [
            f"Work on {c['name']}" for c in concepts if c["learner_showed"] in ("partial", "misconception")
        ],
        "action_items": actions[:3],
    }
