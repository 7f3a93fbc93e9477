"""Check manifest.jsonl against the `<slug>.src.md` sources (standard library only).

- chapters/topics are exactly the `##`/`###` headings, in order (for the vtt lecture: `##` only,
  and the chapter start/end times agree with the transcript timing in build.py)
- every answer_quote (8-30 words) occurs verbatim in the prose of the section it names
  (exact substring after removing **bold**/`code` markers and collapsing whitespace)
- answerable questions do not copy their quote (no run of 5+ words shared with it)
- 6-10 questions per document: 5-8 answerable, 1-2 not answerable
- 3-6 chapters per document; most chapters have 2-5 topics (not for the lecture)
- 1,500-5,000 words per document; PDF sources stay within what core fonts render unchanged
- the minimum number of documents of each kind

Usage: python tests/data/documents/check.py        (exit status 1 on any problem)
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIN_PER_KIND = {"pdf_bookmarks": 3, "pdf_plain": 3, "docx": 2, "html": 2, "markdown": 1, "vtt": 1}
WORDS_RANGE = (1500, 5000)
QUOTE_WORDS = (8, 30)


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def unmark(text: str) -> str:
    return text.replace("**", "").replace("`", "")


def parse(path: Path) -> dict:
    """Title, heading tree, prose per section (paragraphs and list items), and all words."""
    title = None
    chapters: list[dict] = []
    prose: dict[str, list[str]] = {}
    all_text: list[str] = []
    current = None
    in_code = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            all_text.append(line)
            continue
        if line.startswith("# "):
            title = line[2:].strip()
            all_text.append(title)
        elif line.startswith("## "):
            current = line[3:].strip()
            chapters.append({"title": current, "topics": []})
            prose.setdefault(current, [])
            all_text.append(current)
        elif line.startswith("### "):
            current = line[4:].strip()
            chapters[-1]["topics"].append(current)
            prose.setdefault(current, [])
            all_text.append(current)
        elif line.startswith("|"):
            cells = [c for c in line.strip("|").split("|") if not re.fullmatch(r"\s*:?-{3,}:?\s*", c)]
            all_text.append(unmark(" ".join(cells)))
        elif line:
            text = unmark(re.sub(r"^(?:[-*]|\d+\.) ", "", line))
            all_text.append(text)
            if current is not None:
                prose[current].append(text)
        elif current is not None:
            prose[current].append("\n")  # paragraph break
    sections = {name: collapse(" ".join(parts)) for name, parts in prose.items()}
    words = len(collapse(" ".join(all_text)).split())
    return {"title": title, "chapters": chapters, "sections": sections, "words": words}


def words_of(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+(?:['-][a-z0-9]+)*", text.lower())]


def shared_run(a: str, b: str, n: int = 5) -> str | None:
    grams = {tuple(words_of(b)[i : i + n]) for i in range(len(words_of(b)) - n + 1)}
    wa = words_of(a)
    for i in range(len(wa) - n + 1):
        if tuple(wa[i : i + n]) in grams:
            return " ".join(wa[i : i + n])
    return None


def check() -> tuple[list[str], list[dict]]:
    errors: list[str] = []
    rows: list[dict] = []
    entries = [
        json.loads(line) for line in (HERE / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    slugs = [e["slug"] for e in entries]
    for slug, count in Counter(slugs).items():
        if count > 1:
            errors.append(f"{slug}: appears {count} times in the manifest")
    sources = {p.name[: -len(".src.md")] for p in HERE.glob("*.src.md")}
    for missing in sorted(sources - set(slugs)):
        errors.append(f"{missing}.src.md has no manifest entry")

    for entry in entries:
        slug, kind = entry["slug"], entry["kind"]
        err = lambda msg, slug=slug: errors.append(f"{slug}: {msg}")  # noqa: E731
        path = HERE / f"{slug}.src.md"
        if not path.exists():
            err("source file missing")
            continue
        if kind not in MIN_PER_KIND:
            err(f"unknown kind {kind!r}")
        doc = parse(path)
        if entry.get("title") != doc["title"]:
            err(f"title {entry.get('title')!r} != source title {doc['title']!r}")

        # Structure.
        got = [{"title": c["title"], "topics": c["topics"]} for c in doc["chapters"]]
        want = [{"title": c["title"], "topics": c["topics"]} for c in entry["chapters"]]
        if got != want:
            err(f"chapters/topics differ from the headings:\n    manifest {want}\n    source   {got}")
        names = [c["title"] for c in got] + [t for c in got for t in c["topics"]]
        for name, count in Counter(names).items():
            if count > 1:
                err(f"heading {name!r} is not unique")
        if not 3 <= len(got) <= 6:
            err(f"{len(got)} chapters (want 3-6)")
        if kind == "vtt":
            if any(c["topics"] for c in got):
                err("a lecture has no ### topics")
            check_lecture_times(entry, err)
        else:
            with_topics = [c for c in got if 2 <= len(c["topics"]) <= 5]
            if len(with_topics) * 2 < len(got):
                err("fewer than half of the chapters have 2-5 topics")
            for c in got:
                if len(c["topics"]) == 1 or len(c["topics"]) > 5:
                    err(f"chapter {c['title']!r} has {len(c['topics'])} topics")
        if not WORDS_RANGE[0] <= doc["words"] <= WORDS_RANGE[1]:
            err(f"{doc['words']} words (want {WORDS_RANGE[0]}-{WORDS_RANGE[1]})")
        if kind.startswith("pdf_"):
            odd = sorted({ch for ch in path.read_text(encoding="utf-8") if ord(ch) > 126})
            if odd:
                err(f"PDF source has characters the core fonts would alter: {odd!r}")
            prose_lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("|")]
            if any("__" in ln or "--" in ln for ln in prose_lines):
                err("PDF prose contains '__' or '--', which fpdf2 markdown reads as formatting")
        if kind == "pdf_plain" and "numbered_headings" not in entry:
            err("pdf_plain entry must say numbered_headings true/false")

        # Questions.
        questions = entry.get("questions", [])
        answerable = [q for q in questions if q.get("answerable") is True]
        unanswerable = [q for q in questions if q.get("answerable") is False]
        if len(answerable) + len(unanswerable) != len(questions):
            err("every question needs answerable: true/false")
        if not 6 <= len(questions) <= 10 or not 5 <= len(answerable) <= 8 or not 1 <= len(unanswerable) <= 2:
            counts = f"{len(questions)} questions, {len(answerable)} answerable, {len(unanswerable)} not"
            err(f"{counts} (want 6-10, 5-8, 1-2)")
        for q in answerable:
            section, quote = q.get("section"), q.get("answer_quote", "")
            label = f"question {q['question']!r}"
            if section not in doc["sections"]:
                err(f"{label}: section {section!r} is not a heading of the document")
                continue
            n = len(quote.split())
            if not QUOTE_WORDS[0] <= n <= QUOTE_WORDS[1]:
                err(f"{label}: answer_quote has {n} words (want {QUOTE_WORDS[0]}-{QUOTE_WORDS[1]})")
            if collapse(quote) not in doc["sections"][section]:
                where = [name for name, body in doc["sections"].items() if collapse(quote) in body]
                err(
                    f"{label}: answer_quote not found in section {section!r}"
                    + (f" (found in {where})" if where else "")
                )
            run = shared_run(q["question"], quote)
            if run:
                err(f"{label}: copies the quote ({run!r}); paraphrase it")
        for q in unanswerable:
            if q.get("section") or q.get("answer_quote"):
                err(f"question {q['question']!r}: an unanswerable question has no section or quote")
        rows.append(
            {
                "slug": slug,
                "kind": kind,
                "words": doc["words"],
                "chapters": len(got),
                "topics": sum(len(c["topics"]) for c in got),
                "answerable": len(answerable),
                "unanswerable": len(unanswerable),
                "numbered": entry.get("numbered_headings"),
            }
        )

    per_kind = Counter(e["kind"] for e in entries)
    for kind, minimum in MIN_PER_KIND.items():
        if per_kind[kind] < minimum:
            errors.append(f"only {per_kind[kind]} documents of kind {kind} (want at least {minimum})")
    plain = [e for e in entries if e["kind"] == "pdf_plain"]
    numbered = sum(1 for e in plain if e.get("numbered_headings"))
    if numbered < 2 or not any(e.get("numbered_headings") is False for e in plain):
        errors.append("pdf_plain needs at least two numbered documents and one without numbering")
    return errors, rows


def check_lecture_times(entry: dict, err) -> None:
    """The lecture's chapter times are those the renderer produces (build.py's timing is stdlib only)."""
    sys.path.insert(0, str(HERE))
    sys.dont_write_bytecode = True  # leave no __pycache__ in the data folder
    try:
        import build
    finally:
        sys.path.pop(0)
    spans = {name: (start, end) for name, start, end in build.section_starts(entry["slug"])}
    for chapter in entry["chapters"]:
        want = spans.get(chapter["title"])
        if want is None or (chapter.get("start"), chapter.get("end")) != want:
            got = f"{chapter.get('start')}-{chapter.get('end')}"
            err(f"lecture topic {chapter['title']!r}: start/end {got} != transcript {want}")
    previous = "00:00:00.000"
    for chapter in entry["chapters"]:
        if (chapter.get("start") or "") < previous:
            err(f"lecture topic {chapter['title']!r} starts before the previous one")
        previous = chapter.get("start") or previous


def main() -> int:
    errors, rows = check()
    print(f"{'document':<22} {'kind':<14} {'words':>6} {'ch':>3} {'sub':>4} {'Q+':>3} {'Q-':>3}")
    for r in rows:
        extra = "" if r["numbered"] is None else ("  numbered headings" if r["numbered"] else "  unnumbered headings")
        print(
            f"{r['slug']:<22} {r['kind']:<14} {r['words']:>6} {r['chapters']:>3} {r['topics']:>4} "
            f"{r['answerable']:>3} {r['unanswerable']:>3}{extra}"
        )
    kinds = Counter(r["kind"] for r in rows)
    print()
    print("documents per kind: " + ", ".join(f"{k} {kinds[k]}" for k in MIN_PER_KIND))
    print(
        f"documents: {len(rows)}, words: {sum(r['words'] for r in rows):,} "
        f"(min {min(r['words'] for r in rows):,}, max {max(r['words'] for r in rows):,}), "
        f"chapters: {sum(r['chapters'] for r in rows)}, subsections: {sum(r['topics'] for r in rows)}, "
        f"questions: {sum(r['answerable'] + r['unanswerable'] for r in rows)} "
        f"({sum(r['answerable'] for r in rows)} answerable, {sum(r['unanswerable'] for r in rows)} not)"
    )
    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print(" - " + e)
        return 1
    print("\nOK: manifest agrees with the sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
