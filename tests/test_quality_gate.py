"""The quality gate in StudyContentWorkflow (real Temporal, Postgres and OpenAI-protocol server):
flawed items go back to the model once with their reasons, rewrites that pass replace them, the
rest are dropped, the set stores its report; a set left too small fails the normal way."""

from __future__ import annotations

import json

from tests.support import source_files as files
from tests.support.courses import unique_topic, wait_for_course
from tests.support.ledger import ledger_rows
from tests.support.scripted_openai import Reply
from tests.support.sources import ingested
from tests.support.study import ready_course_on, request_content, valid_question, wait_content


def flaws_found(report: dict) -> dict:
    """The report's findings that send items back; `ungrounded` (a flag) has its own test: a topic
    course's excerpts are its outline, which scripted items do not resemble."""
    return {reason: n for reason, n in report["found"].items() if reason != "ungrounded"}


def quiz_rule(topic: str) -> str:
    return f"multiple-choice questions for a beginner practical course on {topic}"


def repair_rule(topic: str) -> str:
    return f"course on {topic}.\nThey have item-writing flaws"


LONG = valid_question(
    1,
    question="What is a closure in Python?",
    options=["A loop", "A function that remembers the variables of the scope it was defined in", "A class", "A module"],
    answer="A function that remembers the variables of the scope it was defined in",
)
DUPLICATES = valid_question(
    4,
    question="Which animal is the largest mammal?",
    options=["Blue whale", "The blue whale", "African elephant", "Giraffe"],
    answer="Blue whale",
)
NEGATIVE = valid_question(
    6,
    question="Which of these is not a programming language?",
    options=["Python", "HTML", "Java", "Rust"],
    answer="HTML",
)
CATCH_ALL = valid_question(3, options=["Koala", "Ferret", "Geyser", "All of the above"], answer="All of the above")


def flawed_quiz() -> dict:
    questions = [valid_question(n) for n in range(8)]
    questions[1], questions[4], questions[6] = LONG, DUPLICATES, NEGATIVE
    return {"questions": questions}


async def test_flawed_questions_are_rewritten_once_with_their_reasons(api, llm_server, session_factory, user_a):
    topic = unique_topic("gate-repair")
    course = await ready_course_on(api, user_a, topic)
    rewrites = [
        valid_question(10, question="What does a Python closure keep?"),
        valid_question(11, question="Which animal is the largest living mammal?"),
        valid_question(12, question="Which of these is NOT a programming language?"),
    ]
    llm_server.on(quiz_rule(topic), [Reply.json(flawed_quiz())])
    llm_server.on(repair_rule(topic), [Reply.json({"questions": rewrites})])

    accepted = (await request_content(api, user_a, course["id"], "quiz")).json()
    quiz = await wait_content(api, user_a, accepted["id"])

    served = [q["question"] for q in quiz["questions"]]
    assert served == [
        "Valid question 0?",
        "What does a Python closure keep?",
        "Valid question 2?",
        "Valid question 3?",
        "Which animal is the largest living mammal?",
        "Valid question 5?",
        "Which of these is NOT a programming language?",
        "Valid question 7?",
    ]
    report = quiz["quality"]
    assert {k: report[k] for k in ("requested", "invalid", "checked", "passed", "repaired", "dropped", "served")} == {
        "requested": 8,
        "invalid": 0,
        "checked": 8,
        "passed": 5,
        "repaired": 3,
        "dropped": 0,
        "served": 8,
    }
    assert flaws_found(report) == {
        "longest_option_is_answer": 1,
        "near_duplicate_options": 1,
        "unemphasised_negative_stem": 1,
    }
    # One rewrite request, naming the three items in order with what is wrong with each.
    [repair] = llm_server.calls(repair_rule(topic))
    assert "Write 3 replacement questions" in repair.text
    assert (
        repair.text.index("What is a closure")
        < repair.text.index("largest mammal")
        < repair.text.index("not a programming")
    )
    assert "the correct option is the only long" in repair.text
    assert "options A and B say the same thing" in repair.text
    assert 'asks for what is "not" without emphasis' in repair.text
    rows = await ledger_rows(session_factory, accepted["id"])
    assert [(r.purpose, r.outcome) for r in rows] == [("quiz", "ok"), ("quiz_repair", "ok")]


async def test_rewrites_that_still_fail_are_dropped_and_counted_by_reason(api, llm_server, user_a):
    topic = unique_topic("gate-drop")
    course = await ready_course_on(api, user_a, topic)
    still_long = {**LONG, "question": "What is a closure, really?"}
    llm_server.on(quiz_rule(topic), [Reply.json(flawed_quiz())])
    # The closure comes back still flawed, the mammal question unusable (three options), the third fine.
    llm_server.on(
        repair_rule(topic),
        [
            Reply.json(
                {
                    "questions": [
                        still_long,
                        {**DUPLICATES, "options": ["Blue whale", "Elephant", "Giraffe"]},
                        valid_question(12, question="Which of these is NOT a language?"),
                    ]
                }
            )
        ],
    )
    accepted = (await request_content(api, user_a, course["id"], "quiz")).json()
    quiz = await wait_content(api, user_a, accepted["id"])
    assert len(quiz["questions"]) == 6
    assert "Which of these is NOT a language?" in [q["question"] for q in quiz["questions"]]
    report = quiz["quality"]
    assert (report["passed"], report["repaired"], report["dropped"], report["served"]) == (5, 1, 2, 6)
    assert report["dropped_by_reason"] == {"longest_option_is_answer": 1, "near_duplicate_options": 1}
    assert report["gate_ms"] >= 0


async def test_a_set_the_gate_leaves_too_small_fails_with_the_reason_after_fresh_attempts(
    api, llm_server, session_factory, user_a
):
    topic = unique_topic("gate-fails")
    course = await ready_course_on(api, user_a, topic)
    hopeless = {"questions": [{**CATCH_ALL, "question": f"Which one, take {n}?"} for n in range(8)]}
    llm_server.on(quiz_rule(topic), [Reply.json(hopeless)], repeat_last=True)
    llm_server.on(repair_rule(topic), [Reply.json({"questions": hopeless["questions"]})], repeat_last=True)

    accepted = (await request_content(api, user_a, course["id"], "quiz")).json()
    failed = await wait_content(api, user_a, accepted["id"], "failed")
    assert (
        "Only 0 of the 8 questions the model wrote passed the quality checks; at least 4 are needed" in failed["error"]
    )
    assert "connect a capable model" in failed["error"]  # the way forward, in words
    assert "all_or_none_of_the_above" in failed["error"]
    assert failed["questions"] is None
    # A rejected reply is not reused: every Temporal attempt asked the model afresh.
    attempts = api.settings.llm_max_attempts
    assert len(llm_server.calls(quiz_rule(topic), ok=True)) == attempts
    assert len(llm_server.calls(repair_rule(topic), ok=True)) == attempts
    rows = await ledger_rows(session_factory, accepted["id"])
    assert [r.outcome for r in rows] == ["rejected"] * (2 * attempts)


async def test_flawed_cards_are_repaired(api, llm_server, user_a):
    topic = unique_topic("gate-cards")
    course = await ready_course_on(api, user_a, topic)
    cards = [{"front": f"Card front {n}?", "back": f"Back {n}.", "topic_ref": "T1"} for n in range(12)]
    cards[2] = {"front": "What is recursion?", "back": "Recursion", "topic_ref": "T1"}
    cards[7] = {"front": "Capital of Italy", "back": 'Rome",', "topic_ref": "T1"}
    llm_server.on(f"flashcards for a beginner practical course on {topic}", [Reply.json({"cards": cards})])
    llm_server.on(
        f"course on {topic}.\nThey have item-writing flaws",
        [
            Reply.json(
                {
                    "cards": [
                        {"front": "What is recursion?", "back": "A function calling itself", "topic_ref": "T1"},
                        {"front": "Capital of Italy", "back": "Rome", "topic_ref": "T1"},
                    ]
                }
            )
        ],
    )
    accepted = (await request_content(api, user_a, course["id"], "flashcards")).json()
    view = await wait_content(api, user_a, accepted["id"])
    backs = {c["front"]: c["back"] for c in view["cards"]}
    assert backs["What is recursion?"] == "A function calling itself" and backs["Capital of Italy"] == "Rome"
    assert flaws_found(view["quality"]) == {"back_repeats_front": 1, "debris": 1}
    assert view["quality"]["repaired"] == 2


LECTURE = [
    "Inner joins return only the rows whose keys match in both tables. Matching uses the ON clause.",
    "A left outer join keeps every row of the left table and fills the missing right columns with NULL.",
    "A cross join pairs every row of one table with every row of the other, a Cartesian product.",
]


async def test_a_question_its_excerpts_do_not_support_is_served_flagged_ungrounded(api, llm_server, user_a):
    source = await ingested(api, user_a, "joins.pdf", files.pdf(LECTURE))
    response = await api.http.post("/v1/courses", json={"source_ids": [source["id"]]}, headers=api.auth(user_a))
    course = await wait_for_course(api, user_a, response.json()["course_id"])
    grounded = valid_question(
        0,
        question="Which join fills the missing right columns with NULL?",
        options=["Left outer join", "Inner join", "Cross join", "Natural join"],
        answer="Left outer join",
        source_refs=["S1"],
    )
    unsupported = valid_question(
        1,
        question="Which river flows through Cairo?",
        options=["Nile", "Amazon", "Danube", "Thames"],
        answer="Nile",
        source_refs=["S1"],
    )
    fillers = [valid_question(n, source_refs=["S1"]) for n in range(2, 5)]
    llm_server.on(
        f"multiple-choice questions for a beginner practical course on {course['topic']}",
        [Reply.json({"questions": [grounded, unsupported, *fillers]})],
    )
    accepted = (await request_content(api, user_a, course["id"], "quiz")).json()
    quiz = await wait_content(api, user_a, accepted["id"])
    flags = {q["question"]: q["quality_flags"] for q in quiz["questions"]}
    assert flags["Which river flows through Cairo?"] == ["ungrounded"]
    assert flags["Which join fills the missing right columns with NULL?"] == []
    assert quiz["quality"]["flagged"]["ungrounded"] == sum(1 for f in flags.values() if f)
    # Flagged, not dropped: it was never sent back for a rewrite.
    assert llm_server.calls(f"course on {course['topic']}.\nThey have item-writing flaws") == []
    assert json.dumps(quiz).count("ungrounded") >= 2
