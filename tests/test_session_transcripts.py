"""The session analysis without I/O, on the labelled transcripts (tests/data/sessions): every
format read with its speakers and times, tutor and learner told apart, a two-hour session cut into
windows a small model can hold and merged back deterministically, and evidence quotes checked
against what was said — the labelled quotes found, fabricated ones dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studyflow.sessions.evidence import TranscriptIndex
from studyflow.sessions.extractive import analyse_window
from studyflow.sessions.merge import combine_verdicts, merge_windows
from studyflow.sessions.speakers import SpeakerRole, infer_roles
from studyflow.sessions.transcript import (
    BrokenTranscript,
    NotATranscript,
    TranscriptFormat,
    Utterance,
    clock,
    detect,
    parse,
)
from studyflow.sessions.windows import window_text, windows_of

DATA = Path(__file__).parent / "data" / "sessions"
LABELS = [json.loads(line) for line in (DATA / "labels.jsonl").read_text().splitlines() if line.strip()]
FORMAT_OF = {
    "vtt": TranscriptFormat.vtt,
    "srt": TranscriptFormat.srt,
    "txt": TranscriptFormat.text,
    "json": TranscriptFormat.json,
}


def _read(label: dict) -> list[Utterance]:
    return parse((DATA / label["file"]).read_text(encoding="utf-8"))


@pytest.mark.parametrize("label", LABELS, ids=[label["file"] for label in LABELS])
def test_each_transcript_is_read_with_its_speakers_times_and_roles(label):
    text = (DATA / label["file"]).read_text(encoding="utf-8")
    assert detect(text) == FORMAT_OF[label["format"]]
    utterances = parse(text)
    assert {u.speaker for u in utterances} == set(label["speakers"])
    timed = any(e["time"] for c in label["concepts"] for e in c["evidence"])
    assert all(u.start is not None for u in utterances) == timed
    roles, _ = infer_roles(utterances)
    assert {k: v.value for k, v in roles.items()} == {
        k: ("other" if v == "parent" else v) for k, v in label["speakers"].items()
    }
    # Every labelled quote is found, in its speaker's utterance, at its time.
    index = TranscriptIndex(utterances, roles)
    for concept in label["concepts"]:
        for evidence in concept["evidence"]:
            found = index.find(evidence["quote"], 90, evidence["speaker"])
            assert found is not None, evidence
            assert found.speaker == evidence["speaker"] and found.time == evidence["time"]
            assert found.quote.casefold() == evidence["quote"].casefold() or evidence["quote"] in found.quote


def test_each_format_by_example():
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ms Lee>What is a noun?</v>\n\n"
        "00:01:05.500 --> 00:01:09.000\n<v Sam>A naming word.</v>\n"
    )
    srt = (
        "1\n00:00:01,000 --> 00:00:04,000\nMs Lee: What is a noun?\n\n"
        "2\n00:01:05,500 --> 00:01:09,000\nSam: A naming word.\n"
    )
    txt = "[00:00:01] Ms Lee: What is a noun?\n[00:01:05] Sam: A naming word.\n"
    plain = "00:00:01 Ms Lee: What is a noun?\n00:01:05 Sam: A naming word.\n"
    bare = "Ms Lee: What is a noun?\nSam: A naming word.\n"
    segments = json.dumps(
        [
            {"speaker": "Ms Lee", "start": 1.0, "end": 4.0, "text": "What is a noun?"},
            {"speaker": "Sam", "start": 65.5, "end": 69.0, "text": "A naming word."},
        ]
    )
    for text in (vtt, srt, txt, plain, segments):
        utterances = parse(text)
        assert [(u.speaker, u.text, clock(u.start)) for u in utterances] == [
            ("Ms Lee", "What is a noun?", "00:00:01"),
            ("Sam", "A naming word.", "00:01:05"),
        ]
    assert [(u.speaker, u.start) for u in parse(bare)] == [("Ms Lee", None), ("Sam", None)]


def test_what_is_not_a_transcript_is_refused_with_what_is_expected():
    for text in ("Just some notes about photosynthesis.\nNo speakers here.", '{"a": 1}', "[1, 2, 3]"):
        with pytest.raises(NotATranscript, match="send a session transcript"):
            detect(text)
    with pytest.raises(BrokenTranscript, match="does not say who is speaking"):
        parse("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello there everyone\n")


def test_roles_follow_the_names_given_before_the_way_people_talk():
    utterances = parse("Anna: What is 2 + 2? And why?\nBen: Four.\nAnna: Good. What about 3 + 3?\nBen: Six.\n")
    roles, how = infer_roles(utterances)
    assert roles == {"Anna": SpeakerRole.tutor, "Ben": SpeakerRole.learner} and how == "inferred"
    roles, how = infer_roles(utterances, given={"Anna": "learner", "Ben": "tutor"})
    assert roles == {"Anna": SpeakerRole.learner, "Ben": SpeakerRole.tutor} and how == "given"
    roles, _ = infer_roles(utterances, tutor_name="Ben Carter", learner_name="Anna Smith")
    assert roles == {"Anna": SpeakerRole.learner, "Ben": SpeakerRole.tutor}


def two_hour_session() -> list[Utterance]:
    """Long sessions laid end to end (timestamps shifted), until past two hours and 20,000 words."""
    utterances: list[Utterance] = []
    offset = 0.0
    timed = [label for label in LABELS if label["format"] != "txt"]
    while offset < 2 * 3600 or sum(u.words for u in utterances) < 20_000:
        for label in timed:
            part = _read(label)
            for u in part:
                utterances.append(
                    Utterance(
                        len(utterances),
                        "Tutor" if u.speaker in _tutors(label) else "Learner",
                        u.text,
                        u.start + offset,
                        (u.end or u.start) + offset,
                    )
                )
            offset = utterances[-1].end + 30
            if offset >= 2 * 3600 and sum(u.words for u in utterances) >= 20_000:
                break
    return utterances


def _tutors(label: dict) -> set[str]:
    return {name for name, role in label["speakers"].items() if role == "tutor"}


def test_a_two_hour_session_is_cut_into_windows_a_small_model_can_hold():
    utterances = two_hour_session()
    assert utterances[-1].start >= 2 * 3600 and sum(u.words for u in utterances) >= 20_000
    windows = windows_of(utterances, 600)
    assert len(windows) >= 30
    assert windows[0].first == 0 and windows[-1].last == len(utterances) - 1
    assert all(b.first == a.last + 1 for a, b in zip(windows, windows[1:], strict=False))
    roles, _ = infer_roles(utterances)
    for window in windows:
        words = sum(u.words for u in utterances[window.first : window.last + 1])
        assert words <= 600 or window.first == window.last
        # ~1.4 tokens a word, so a window and the instructions fit SmolLM2's 2,048-token context.
        assert len(window_text(utterances, roles, window).split()) < 1000
    assert windows_of(utterances, 600) == windows  # deterministic


def test_merging_windows_is_deterministic_and_keeps_the_story_of_each_concept():
    first = {
        "topics": ["Fractions"],
        "concepts": [
            {
                "name": "Adding fractions",
                "difficulty": 3,
                "learner_showed": "misconception",
                "evidence": [{"quote": "one half plus one third is two fifths", "speaker": "Kayla"}],
            },
            {"name": "Equivalent fractions", "difficulty": 2, "learner_showed": "understood", "evidence": []},
        ],
        "strengths": ["Keeps trying"],
        "areas_for_improvement": ["Common denominators"],
        "action_items": ["Ten practice sums"],
    }
    second = {
        "topics": ["fractions!"],
        "concepts": [
            {
                "name": "adding  Fractions",
                "difficulty": 5,
                "learner_showed": "understood",
                "evidence": [{"quote": "so it is five sixths", "speaker": "Kayla"}],
            },
        ],
        "strengths": ["keeps trying"],
        "action_items": ["Ten practice sums."],
    }
    merged = merge_windows([first, second])
    assert merged == merge_windows([first, second])
    adding = merged.concepts[0]
    assert adding.name == "Adding fractions" and adding.difficulty == 5
    assert adding.learner_showed == "partial"  # wrong, then right: corrected in the session
    assert [e["quote"] for e in adding.evidence] == ["one half plus one third is two fifths", "so it is five sixths"]
    assert merged.topics == ["Fractions"] and merged.strengths == ["Keeps trying"]
    assert merged.action_items == ["Ten practice sums"]
    assert combine_verdicts(["understood", "misconception"]) == "misconception"
    assert combine_verdicts(["understood", "understood"]) == "understood"


def test_fabricated_quotes_are_not_found_and_found_ones_are_the_transcripts_words():
    label = next(label for label in LABELS if label["file"] == "algebra_quadratics_01.vtt")
    utterances = _read(label)
    index = TranscriptIndex(utterances, infer_roles(utterances)[0])
    for fabricated in (
        "I have always loved studying the migration patterns of arctic terns",
        "so the answer to the quadratic is always seven no matter what",
        "Factoring is when you divide both sides by x squared",
    ):
        assert index.find(fabricated, 90) is None, fabricated
    assert index.find("yes", 90) is None  # too short to be evidence of anything
    real = label["concepts"][0]["evidence"][0]
    sloppy = real["quote"].upper().replace(",", "").replace(".", "")
    found = index.find(sloppy, 90)
    assert found is not None and found.quote.casefold().startswith(real["quote"].casefold()[:10])
    assert found.time == real["time"] and found.speaker == real["speaker"]


def test_the_extractive_reading_quotes_the_learner_and_passes_its_own_validation():
    label = next(label for label in LABELS if label["file"] == "algebra_fractions_04.json")
    utterances = _read(label)
    roles, _ = infer_roles(utterances)
    drafts = [analyse_window(utterances, roles, w.first, w.last) for w in windows_of(utterances, 600)]
    merged = merge_windows(drafts)
    assert merged.concepts
    index = TranscriptIndex(utterances, roles)
    quotes = [q for c in merged.concepts for q in c.evidence]
    found = [index.find(q["quote"], 90) for q in quotes]
    assert all(found) and all(f.role == "learner" for f in found)
