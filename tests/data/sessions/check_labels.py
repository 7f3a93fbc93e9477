"""Consistency checker for the tutoring-session evaluation set.

Run from the repository root:  python3 tests/data/sessions/check_labels.py
Standard library only. Exits non-zero and lists every problem if a check fails.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels.jsonl"
TRANSCRIPT_EXTS = {".vtt", ".srt", ".txt", ".json"}

KEYS = ["file", "format", "subject", "title", "duration_minutes", "speakers", "situations",
        "topics", "concepts", "misconceptions", "strengths", "areas_for_improvement",
        "action_items", "notes"]
CONCEPT_KEYS = {"name", "difficulty", "learner_showed", "evidence"}
EVIDENCE_KEYS = {"quote", "speaker", "time"}
SHOWED = {"understood", "partial", "misconception"}
ROLES = {"tutor", "learner", "parent"}
SITUATIONS = {
    "tutor_dominant",                      # tutor talks most, learner gives short answers
    "learner_mostly_wrong",                # several misconceptions
    "off_topic_chatter",                   # a few minutes of weekend plans, games, weather...
    "strong_learner",                      # learner mostly right
    "misconception_corrected_in_session",  # misconception revisited and corrected during the session
    "code_read_aloud",                     # programming: code spoken aloud
    "spoken_math",                         # numbers / formulas spoken
    "third_speaker_parent",                # a parent briefly joins
    "roles_not_obvious",                   # speaker names do not reveal who is the tutor
}
REQUIRED_SITUATIONS = SITUATIONS
REQUIRED_SUBJECTS = {"algebra", "chemistry", "history", "programming", "spanish", "physics", "biology"}
TITLE_WORDS = re.compile(r"\b(tutor|teacher|mr|ms|mrs|miss|dr|coach|prof|professor|señora|senora|señor|profe)\b\.?", re.I)

TS_VTT = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$")
TS_SRT = re.compile(r"^(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})$")
VOICE = re.compile(r"^<v ([^>]+)>(.*)</v>$")
TXT_BRACKET = re.compile(r"^\[(\d\d):(\d\d):(\d\d)\] ([^:\[\]]+?): (.+)$")
TXT_PLAIN_TS = re.compile(r"^(\d\d):(\d\d):(\d\d) ([^:]+?): (.+)$")
TXT_NO_TS = re.compile(r"^([^:\[\]]+?): (.+)$")


def secs(h, m, s, ms="0"):
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def hhmmss(t: float) -> str:
    t = int(t)
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"


class Cue:
    def __init__(self, speaker, text, start=None, end=None):
        self.speaker, self.text, self.start, self.end = speaker, text, start, end


def parse(path: Path) -> tuple[list[Cue], str]:
    """Return (cues, kind). kind is vtt | srt | json | txt_bracket | txt_plain_ts | txt_no_ts."""
    ext = path.suffix
    raw = path.read_text(encoding="utf-8")
    cues: list[Cue] = []
    if ext == ".json":
        for seg in json.loads(raw):
            assert set(seg) == {"speaker", "start", "end", "text"}, f"bad segment keys {sorted(seg)}"
            assert isinstance(seg["start"], (int, float)) and isinstance(seg["end"], (int, float))
            cues.append(Cue(seg["speaker"], seg["text"], float(seg["start"]), float(seg["end"])))
        return cues, "json"
    if ext == ".vtt":
        blocks = raw.strip().split("\n\n")
        assert blocks[0].strip() == "WEBVTT", "missing WEBVTT header"
        for block in blocks[1:]:
            lines = block.strip().split("\n")
            ts = [i for i, l in enumerate(lines) if "-->" in l]
            assert len(ts) == 1, f"cue without a single timing line: {block[:60]!r}"
            m = TS_VTT.match(lines[ts[0]].strip())
            assert m, f"bad vtt timing {lines[ts[0]]!r}"
            text = " ".join(lines[ts[0] + 1:])
            v = VOICE.match(text)
            assert v, f"cue without voice tag: {text[:60]!r}"
            cues.append(Cue(v.group(1), v.group(2), secs(*m.groups()[:4]), secs(*m.groups()[4:])))
        return cues, "vtt"
    if ext == ".srt":
        for n, block in enumerate(raw.strip().split("\n\n"), 1):
            lines = block.strip().split("\n")
            assert lines[0].strip() == str(n), f"srt cue number {lines[0]!r}, expected {n}"
            m = TS_SRT.match(lines[1].strip())
            assert m, f"bad srt timing {lines[1]!r}"
            text = " ".join(lines[2:])
            speaker, _, body = text.partition(": ")
            assert body, f"srt cue without 'NAME: ' prefix: {text[:60]!r}"
            cues.append(Cue(speaker, body, secs(*m.groups()[:4]), secs(*m.groups()[4:])))
        return cues, "srt"
    if ext == ".txt":
        lines = [l for l in raw.splitlines() if l.strip()]
        kinds = set()
        for line in lines:
            if m := TXT_BRACKET.match(line):
                kinds.add("txt_bracket")
                cues.append(Cue(m.group(4), m.group(5), secs(*m.groups()[:3])))
            elif m := TXT_PLAIN_TS.match(line):
                kinds.add("txt_plain_ts")
                cues.append(Cue(m.group(4), m.group(5), secs(*m.groups()[:3])))
            elif m := TXT_NO_TS.match(line):
                kinds.add("txt_no_ts")
                cues.append(Cue(m.group(1), m.group(2)))
            else:
                raise AssertionError(f"unparseable line {line[:60]!r}")
        assert len(kinds) == 1, f"mixed line styles {kinds}"
        return cues, kinds.pop()
    raise AssertionError(f"unknown extension {ext}")


def main() -> int:
    errors: list[str] = []

    def err(where, msg):
        errors.append(f"{where}: {msg}")

    labels = []
    for n, line in enumerate(LABELS.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                labels.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"labels.jsonl:{n}", f"invalid JSON ({e})")

    on_disk = sorted(p.name for p in HERE.iterdir()
                     if p.suffix in TRANSCRIPT_EXTS and p.name != "labels.jsonl")
    labelled = [l.get("file") for l in labels]
    for f, c in Counter(labelled).items():
        if c > 1:
            err(f, "labelled more than once")
    for f in on_disk:
        if f not in labelled:
            err(f, "transcript has no label")

    fmt_count, sub_count, sit_count, kind_count = Counter(), Counter(), Counter(), Counter()
    showed_count = Counter()
    total_words = total_concepts = total_evidence = total_misc = long_sessions = 0
    parent_sessions = 0

    for lab in labels:
        f = lab.get("file", "?")
        if list(lab) != KEYS:
            err(f, f"keys {list(lab)} != {KEYS}")
            continue
        path = HERE / f
        if not path.exists():
            err(f, "file in labels does not exist")
            continue
        try:
            cues, kind = parse(path)
        except (AssertionError, json.JSONDecodeError, KeyError) as e:
            err(f, f"parse error: {e}")
            continue
        ext = path.suffix.lstrip(".")
        if lab["format"] != ext:
            err(f, f"format {lab['format']!r} does not match extension {ext!r}")
        fmt_count[ext] += 1
        kind_count[kind] += 1
        sub_count[lab["subject"]] += 1
        for s in lab["situations"]:
            if s not in SITUATIONS:
                err(f, f"unknown situation {s!r}")
            sit_count[s] += 1
        if not lab["title"] or not lab["topics"]:
            err(f, "empty title or topics")

        # speakers
        spk_in_file = Counter(c.speaker for c in cues)
        if set(spk_in_file) != set(lab["speakers"]):
            err(f, f"speakers in file {sorted(spk_in_file)} != labelled {sorted(lab['speakers'])}")
        roles = Counter(lab["speakers"].values())
        if set(roles) - ROLES or roles["tutor"] != 1 or roles["learner"] != 1:
            err(f, f"bad speaker roles {dict(roles)}")
        if roles["parent"]:
            parent_sessions += 1
            if "third_speaker_parent" not in lab["situations"]:
                err(f, "has a parent speaker but no third_speaker_parent situation")
        if "roles_not_obvious" in lab["situations"]:
            for name in lab["speakers"]:
                if TITLE_WORDS.search(name):
                    err(f, f"roles_not_obvious but speaker name {name!r} reveals a role")

        # words and timing
        words = sum(len(c.text.split()) for c in cues)
        total_words += words
        if not 1200 <= words <= 8000:
            err(f, f"{words} words, expected 1,200-8,000")
        dur = lab["duration_minutes"]
        if not isinstance(dur, int) or not 10 <= dur <= 60:
            err(f, f"duration_minutes {dur!r} not an int in 10-60")
            continue
        if dur >= 40:
            long_sessions += 1
        if kind == "txt_no_ts":
            wpm = words / dur
            if not 95 <= wpm <= 160:
                err(f, f"untimestamped: {words} words over {dur} min = {wpm:.0f} wpm, expected 95-160")
        else:
            prev = -1.0
            for c in cues:
                if c.start < prev:
                    err(f, f"timestamp goes backwards at {hhmmss(c.start)}: {c.text[:40]!r}")
                if c.end is not None and c.end < c.start:
                    err(f, f"cue ends before it starts at {hhmmss(c.start)}")
                prev = c.end if c.end is not None else c.start
            last = cues[-1].end if cues[-1].end is not None else cues[-1].start
            if abs(last - dur * 60) > 0.25 * dur * 60:
                err(f, f"last timestamp {last / 60:.1f} min not within 25% of {dur} min")
            wpm = words / (last / 60)
            if not 95 <= wpm <= 165:
                err(f, f"{wpm:.0f} words per minute of session time, expected ~95-165")

        # concepts and evidence
        concepts = lab["concepts"]
        if not 3 <= len(concepts) <= 8:
            err(f, f"{len(concepts)} concepts, expected 3-8")
        names = [c.get("name") for c in concepts]
        if len(set(names)) != len(names):
            err(f, "duplicate concept names")
        for c in concepts:
            cn = c.get("name")
            if set(c) != CONCEPT_KEYS:
                err(f, f"concept {cn!r} keys {sorted(c)}")
                continue
            total_concepts += 1
            showed_count[c["learner_showed"]] += 1
            if c["learner_showed"] not in SHOWED:
                err(f, f"concept {cn!r}: learner_showed {c['learner_showed']!r}")
            if not isinstance(c["difficulty"], int) or not 1 <= c["difficulty"] <= 10:
                err(f, f"concept {cn!r}: difficulty {c['difficulty']!r}")
            if not 1 <= len(c["evidence"]) <= 3:
                err(f, f"concept {cn!r}: {len(c['evidence'])} evidence quotes, expected 1-3")
            for ev in c["evidence"]:
                total_evidence += 1
                if set(ev) != EVIDENCE_KEYS:
                    err(f, f"evidence keys {sorted(ev)}")
                    continue
                q = ev["quote"]
                nw = len(q.split())
                if not 5 <= nw <= 30:
                    err(f, f"quote has {nw} words (5-30): {q!r}")
                hits = [cue for cue in cues if q in cue.text]
                if not hits:
                    err(f, f"quote not found verbatim in any single cue/line: {q!r}")
                    continue
                same = [cue for cue in hits if cue.speaker == ev["speaker"]]
                if not same:
                    err(f, f"quote found but spoken by {hits[0].speaker!r}, labelled {ev['speaker']!r}: {q!r}")
                    continue
                if kind == "txt_no_ts":
                    if ev["time"] is not None:
                        err(f, f"time should be null for untimestamped text: {q!r}")
                elif ev["time"] not in {hhmmss(cue.start) for cue in same}:
                    err(f, f"time {ev['time']!r} != cue start {hhmmss(same[0].start)} for {q!r}")

        kinds_showed = {c.get("learner_showed") for c in concepts}
        total_misc += len(lab["misconceptions"])
        if "misconception" in kinds_showed and not lab["misconceptions"]:
            err(f, "a concept is labelled misconception but misconceptions is empty")
        if lab["misconceptions"] and not kinds_showed & {"misconception", "partial"}:
            err(f, "misconceptions listed but no concept is misconception/partial")
        for key in ("strengths", "areas_for_improvement", "action_items"):
            items = lab[key]
            if not 1 <= len(items) <= 4 or not all(isinstance(i, str) and i.strip() for i in items):
                err(f, f"{key}: expected 1-4 non-empty strings")

    # set-level requirements
    n = len(labels)
    if n < 22:
        err("set", f"{n} transcripts, expected at least 22")
    for ext in ("vtt", "txt", "json"):
        share = fmt_count[ext] / max(n, 1)
        if not 0.25 <= share <= 0.42:
            err("set", f"format {ext} is {share:.0%} of the set, expected roughly a third")
    if fmt_count["srt"] < 2:
        err("set", "expected at least 2 srt transcripts")
    ts_txt = kind_count["txt_bracket"] + kind_count["txt_plain_ts"]
    if abs(ts_txt - kind_count["txt_no_ts"]) > 1 or not kind_count["txt_bracket"] or not kind_count["txt_plain_ts"]:
        err("set", f"txt timestamp styles unbalanced: {dict(kind_count)}")
    missing = REQUIRED_SUBJECTS - set(sub_count)
    if missing or len(sub_count) < 7:
        err("set", f"subjects missing {sorted(missing)} / only {len(sub_count)} subjects")
    if long_sessions < 3:
        err("set", f"only {long_sessions} sessions of 40+ minutes")
    if total_words >= 110_000:
        err("set", f"total words {total_words} >= 110,000")
    for s in REQUIRED_SITUATIONS:
        if not sit_count[s]:
            err("set", f"no transcript labelled {s}")
    if not 1 <= parent_sessions <= 2:
        err("set", f"{parent_sessions} sessions with a parent speaker, expected 1-2")

    print("Tutoring-session evaluation set")
    print(f"  transcripts: {n}   total words: {total_words:,}   sessions of 40+ min: {long_sessions}")
    print(f"  formats:     {dict(sorted(fmt_count.items()))}   (txt styles: {dict(sorted((k, v) for k, v in kind_count.items() if k.startswith('txt')))})")
    print(f"  subjects:    {dict(sorted(sub_count.items()))}")
    print(f"  situations:  {dict(sorted(sit_count.items()))}")
    print(f"  concepts:    {total_concepts} ({dict(sorted(showed_count.items()))})   evidence quotes: {total_evidence}")
    print(f"  misconceptions listed: {total_misc}")
    durs = sorted(l.get("duration_minutes", 0) for l in labels)
    if durs:
        print(f"  durations:   {durs[0]}-{durs[-1]} min, total {sum(durs)} min")
    if errors:
        print(f"\nFAILED with {len(errors)} problem(s):")
        for e in errors:
            print("  - " + e)
        return 1
    print("\nAll checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
