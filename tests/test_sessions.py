"""Tutoring sessions through the API and SessionAnalysisWorkflow: a tutor uploads a learner's
session, the analysis finds concepts whose every quote is in the transcript (a fabricated one is
dropped), mastery moves the way the session says and back when it is deleted, practice is made,
assigned and taken, corrections make a new version, and the tutor chat cites the transcript."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from sqlalchemy import func, select

from db.models import (
    LlmCall,
    MasteryEvidence,
    SessionAnalysis,
    SessionWindowInsight,
    Source,
    TopicMastery,
    TutoringSession,
)
from studyflow import workflow_ids
from tests.support.organization_world import organization
from tests.support.polling import poll_until
from tests.support.replay import HISTORIES, RECORDING_LABEL, replayer
from tests.support.scripted_openai import FABRICATED_QUOTE, Reply

DATA = Path(__file__).parent / "data" / "sessions"


async def upload_session(api, person, name: str, *, learner_id=None, subject="Algebra", extra=None, data=None):
    fields = {"subject": subject, **({"learner_id": learner_id} if learner_id else {}), **(extra or {})}
    return await api.http.post(
        "/v1/sessions",
        files={"file": (name, data if data is not None else (DATA / name).read_bytes(), "application/octet-stream")},
        data=fields,
        headers=person.headers(api),
    )


async def settled_session(api, person, session_id: str, timeout: float = 90) -> dict:
    async def fetch():
        return (await api.http.get(f"/v1/sessions/{session_id}", headers=person.headers(api))).json()

    return await poll_until(fetch, lambda s: s["status"] != "processing", timeout=timeout, every=0.3)


async def test_a_tutors_session_is_analysed_with_evidence_and_its_practice_reaches_the_learner(api, session_factory):
    world = await organization(api)
    tutor, learner = world["tutor"], world["learner"]
    accepted = await upload_session(
        api, tutor, "algebra_quadratics_01.vtt", learner_id=learner.user_id, extra={"session_date": "2026-12-01"}
    )
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["status"] == "processing" and body["learner_id"] == learner.user_id
    assert body["tutor_id"] == tutor.user_id
    done = await settled_session(api, tutor, body["id"])
    assert done["status"] == "ready", done
    analysis = done["analysis"]
    assert analysis["engine"] == "llm" and analysis["roles_from"] in ("inferred", "names")
    assert done["speakers"] == {"Ms Patel": "tutor", "Jordan": "learner"}
    assert done["transcript"][0] == {
        "index": 0,
        "speaker": "Ms Patel",
        "role": "tutor",
        "text": "Hi Jordan, can you hear me okay? Your video's a bit frozen on my end.",
        "time": "00:00:01",
    }
    assert analysis["concepts"], analysis
    transcript = {u["index"]: u for u in done["transcript"]}
    for concept in analysis["concepts"]:
        for evidence in concept["evidence"]:
            said = transcript[evidence["utterance_index"]]
            assert evidence["quote"] in said["text"] and evidence["time"] == said["time"]
            assert evidence["speaker"] == said["speaker"] == "Jordan"
    # The scripted model adds one quote nobody said per window: each is dropped and counted.
    assert analysis["quotes_dropped"] >= 1
    assert all(FABRICATED_QUOTE not in e["quote"] for c in analysis["concepts"] for e in c["evidence"])
    assert analysis["quotes_valid"] == sum(len(c["evidence"]) for c in analysis["concepts"]) or analysis[
        "quotes_valid"
    ] >= sum(len(c["evidence"]) for c in analysis["concepts"])
    assert analysis["strengths"] and analysis["areas_for_improvement"] and analysis["action_items"]
    assert analysis["practice_status"] == "assigned", analysis

    # The learner: the session, its practice in the inbox and among their assignments.
    mine = (await api.http.get("/v1/sessions", headers=learner.headers(api))).json()["sessions"]
    assert [s["id"] for s in mine] == [body["id"]]
    inbox = (await api.http.get("/v1/notifications", headers=learner.headers(api))).json()
    assert any("Practice: Algebra session" in n["message"] for n in inbox["items"]), inbox
    assignments = (await api.http.get("/v1/assignments", headers=learner.headers(api))).json()["assignments"]
    practice = next(a for a in assignments if a["kind"] == "practice_set")
    assert practice["due_date"] and practice["my_status"] == "open"
    opened = await api.http.post(f"/v1/assignments/{practice['id']}/open", headers=learner.headers(api))
    assert opened.status_code == 200, opened.text
    quiz = (
        await api.http.get(f"/v1/study-content/{opened.json()['study_content_id']}", headers=learner.headers(api))
    ).json()
    answers = {q["id"]: 1 for q in quiz["questions"]}
    attempt = await api.http.post(
        f"/v1/quizzes/{quiz['id']}/attempts", json={"answers": answers}, headers=learner.headers(api)
    )
    assert attempt.status_code in (200, 201), attempt.text
    # The tutor sees the result; and their "analysis ready" notification.
    given = (await api.http.get(f"/v1/assignments/{practice['id']}", headers=tutor.headers(api))).json()
    assert given["targets"][0]["status"] == "completed" and given["targets"][0]["score_pct"] is not None
    tutor_inbox = (await api.http.get("/v1/notifications", headers=tutor.headers(api))).json()["items"]
    assert any(n["message"].startswith("Analysis ready: Algebra") for n in tutor_inbox)
    # Before the next session the tutor's context lists this one with what to work on.
    context = await api.http.get(f"/v1/tutor/learners/{learner.user_id}/context", headers=tutor.headers(api))
    assert context.status_code == 200, context.text
    (recent,) = context.json()["recent_sessions"]
    assert recent["id"] == body["id"] and recent["date"] == "2026-12-01" and recent["status"] == "ready"
    assert recent["subject"] == done["subject"]
    assert recent["action_items"] == analysis["action_items"]
    assert recent["areas_for_improvement"] == analysis["areas_for_improvement"]

    # One analysis, one paid reply per window.
    async with session_factory() as session:
        analysis_row = await session.scalar(
            select(SessionAnalysis).where(SessionAnalysis.session_id == uuid.UUID(body["id"]))
        )
        windows = await session.scalar(select(func.count()).where(SessionWindowInsight.analysis_id == analysis_row.id))
        paid = await session.scalar(
            select(func.count()).where(
                LlmCall.idempotency_key.like(f"session-insights:{body['id']}:%"), LlmCall.outcome == "ok"
            )
        )
    assert windows == analysis_row.windows == paid >= 1


async def test_the_learner_uploads_their_own_and_peers_and_other_tutors_are_refused(api):
    world = await organization(api)
    own = await upload_session(api, world["learner"], "physics_circuits_03.srt", subject="Physics")
    assert own.status_code == 202, own.text
    assert own.json()["tutor_id"] == world["tutor"].user_id  # the learner's tutor in this organisation
    for name, status in (("other_tutor", 403), ("peer", 404), ("outsider", 404), ("admin", 403)):
        refused = await upload_session(
            api, world[name], "physics_circuits_03.srt", learner_id=world["learner"].user_id, subject="Physics"
        )
        assert refused.status_code == status, (name, refused.text)


async def test_what_is_not_a_transcript_is_refused_by_its_content(api):
    world = await organization(api)
    notes = await upload_session(api, world["learner"], "notes.vtt", data=b"Just my notes about cells.\nNothing else.")
    assert notes.status_code == 415 and "session transcript" in notes.json()["error"]["message"]
    image = await upload_session(api, world["learner"], "x.txt", data=b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert image.status_code == 415
    missing = await api.http.post(
        "/v1/sessions",
        files={"file": ("a.vtt", (DATA / "algebra_quadratics_01.vtt").read_bytes(), "text/vtt")},
        headers=world["learner"].headers(api),
    )
    assert missing.status_code == 422 and "subject" in missing.json()["error"]["message"]


async def test_a_transcript_over_the_upload_limit_is_refused_while_reading_and_nothing_is_kept(
    stack_with, session_factory
):
    api = await stack_with(source_max_bytes=50_000)
    world = await organization(api)
    learner = world["learner"].user_id
    lines = "".join(f"Tutor: Question {n} is about adding fractions with unlike denominators.\n" for n in range(1200))
    too_big = await upload_session(api, world["tutor"], "long.txt", learner_id=learner, data=lines.encode())
    assert too_big.status_code == 413, too_big.text
    assert too_big.json()["error"]["message"] == "the file is larger than the 48 KB upload limit"
    async with session_factory() as session:
        kept = await session.scalar(select(func.count()).where(TutoringSession.learner_id == uuid.UUID(learner)))
        sources = await session.scalar(select(func.count()).where(Source.owner_id == uuid.UUID(learner)))
    assert (kept, sources) == (0, 0)
    # The limit refuses what is over it, not everything: a short session on the same stack is taken.
    short = await upload_session(api, world["tutor"], "algebra_quadratics_01.vtt", learner_id=learner)
    assert short.status_code == 202, short.text


async def test_mastery_moves_as_the_session_says_and_back_when_it_is_deleted(api, llm_server, session_factory):
    world = await organization(api)
    learner = world["learner"]
    concepts = [
        {
            "name": "Factoring quadratics",
            "difficulty": 5,
            "learner_showed": "misconception",
            "evidence": [{"quote": "x squared plus five x plus six", "speaker": "L"}],
        },
        {
            "name": "The zero product property",
            "difficulty": 4,
            "learner_showed": "understood",
            "evidence": [{"quote": FABRICATED_QUOTE, "speaker": "L"}],
        },
    ]
    text = "WEBVTT\n\n" + "".join(
        f"00:0{i}:00.000 --> 00:0{i}:05.000\n<v {who}>{line}</v>\n\n"
        for i, (who, line) in enumerate(
            [
                ("Ms Patel", "Can you factor x squared plus five x plus six for me?"),
                ("Jordan", "Is it x plus one times x plus six? I think x squared plus five x plus six is that."),
                ("Ms Patel", "Not quite. Check the middle term again, what do two and three add to?"),
                ("Jordan", "Oh they add to five, but I still don't get why we need them to multiply to six."),
            ]
        )
    )
    llm_server.on(
        "Transcript of a tutoring session",
        [Reply.json({"topics": ["Quadratics"], "concepts": concepts, "strengths": [], "action_items": []})],
        repeat_last=True,
    )
    accepted = await upload_session(api, learner, "quadratics.vtt", data=text.encode(), subject="Algebra")
    assert accepted.status_code == 202, accepted.text
    done = await settled_session(api, learner, accepted.json()["id"])
    analysis = done["analysis"]
    # Only the concept with evidence found in the transcript is kept.
    assert [c["name"] for c in analysis["concepts"]] == ["Factoring quadratics"]
    assert analysis["concepts_dropped"] == 1 and analysis["quotes_dropped"] == 1
    [concept] = analysis["concepts"]
    assert concept["learner_showed"] == "misconception" and concept["matched"] == "practice"
    topic_id = uuid.UUID(concept["topic_id"])
    async with session_factory() as session:
        mastery = await session.scalar(select(TopicMastery.mastery).where(TopicMastery.topic_id == topic_id))
        evidence = await session.scalar(select(func.count()).where(MasteryEvidence.topic_id == topic_id))
    assert evidence == 1 and mastery is not None and mastery < 0.3  # below the prior: a misconception
    deleted = await api.http.delete(f"/v1/sessions/{accepted.json()['id']}", headers=learner.headers(api))
    assert deleted.status_code == 204
    async with session_factory() as session:
        assert await session.scalar(select(TopicMastery.mastery).where(TopicMastery.topic_id == topic_id)) is None
        assert await session.scalar(select(func.count()).where(MasteryEvidence.topic_id == topic_id)) == 0
    gone = await api.http.get(f"/v1/sessions/{accepted.json()['id']}", headers=learner.headers(api))
    assert gone.status_code == 404
    sources = (await api.http.get("/v1/sources", headers=learner.headers(api))).json()["items"]
    assert all(s["name"] != "quadratics.vtt" for s in sources)
    assert json.dumps(sources)  # the practice course stays; its transcript source does not


def two_hour_segments() -> bytes:
    """Labelled sessions laid end to end as one note-taker export (timestamps shifted, one tutor
    and one learner), until past two hours and 20,000 words."""
    from tests.test_session_transcripts import LABELS, _read, _tutors

    segments, offset, words = [], 0.0, 0
    while offset < 2 * 3600 or words < 20_000:
        for label in (label for label in LABELS if label["format"] != "txt"):
            for u in _read(label):
                who = "Ms Tutor" if u.speaker in _tutors(label) else "Robin"
                segments.append(
                    {"speaker": who, "start": u.start + offset, "end": (u.end or u.start) + offset, "text": u.text}
                )
                words += u.words
            offset = segments[-1]["end"] + 30
            if offset >= 2 * 3600 and words >= 20_000:
                break
    return json.dumps(segments).encode()


async def test_a_two_hour_session_is_analysed_window_by_window(api, session_factory):
    world = await organization(api)
    accepted = await upload_session(
        api,
        world["tutor"],
        "marathon.json",
        learner_id=world["learner"].user_id,
        subject="Revision day",
        data=two_hour_segments(),
    )
    assert accepted.status_code == 202, accepted.text
    done = await settled_session(api, world["tutor"], accepted.json()["id"], timeout=300)
    assert done["status"] == "ready", done["error"]
    assert done["duration_minutes"] >= 120
    analysis = done["analysis"]
    assert analysis["windows"] >= 30  # 600 words each: a 2,048-token model holds one with its instructions
    assert analysis["concepts"] and analysis["quotes_dropped"] >= analysis["windows"] // 2  # fabricated ones
    assert done["transcript"][-1]["time"] >= "02:00:00"
    async with session_factory() as session:
        kept = await session.scalar(
            select(func.count()).where(
                SessionWindowInsight.analysis_id
                == select(SessionAnalysis.id)
                .where(SessionAnalysis.session_id == uuid.UUID(done["id"]))
                .scalar_subquery()
            )
        )
    assert kept == analysis["windows"]


async def test_a_corrected_speaker_mapping_is_analysed_again_and_earlier_practice_stays(api):
    world = await organization(api)
    tutor, learner = world["tutor"], world["learner"]
    accepted = await upload_session(
        api, tutor, "physics_circuits_03.srt", learner_id=learner.user_id, subject="Physics"
    )
    first = await settled_session(api, tutor, accepted.json()["id"])
    assert first["speakers"] == {"Rosa": "tutor", "Tyler": "learner"}
    assert first["analysis"]["practice_course_id"]
    refused = await api.http.patch(
        f"/v1/sessions/{first['id']}", json={"speaker_mapping": {"Nobody": "tutor"}}, headers=tutor.headers(api)
    )
    assert refused.status_code == 422
    corrected = await api.http.patch(
        f"/v1/sessions/{first['id']}",
        json={
            "speaker_mapping": {"Rosa": "learner", "Tyler": "tutor"},
            "utterances": {"0": "Okay Tyler, simulator open."},
        },
        headers=tutor.headers(api),
    )
    assert corrected.status_code == 202, corrected.text
    second = await settled_session(api, tutor, first["id"])
    assert second["analysis_version"] == 2 and second["versions"] == [1, 2]
    assert second["speakers"] == {"Rosa": "learner", "Tyler": "tutor"}
    assert second["analysis"]["roles_from"] == "given"
    assert second["transcript"][0]["text"] == "Okay Tyler, simulator open."
    assert second["analysis"]["practice_course_id"] != first["analysis"]["practice_course_id"]
    earlier = (await api.http.get(f"/v1/sessions/{first['id']}?version=1", headers=tutor.headers(api))).json()
    assert earlier["analysis"]["version"] == 1
    course = await api.http.get(f"/v1/courses/{first['analysis']['practice_course_id']}", headers=learner.headers(api))
    assert course.status_code == 200  # the first version's practice stays
    assignments = (await api.http.get("/v1/assignments", headers=learner.headers(api))).json()["assignments"]
    assert len([a for a in assignments if a["kind"] == "practice_set"]) == 2


async def test_the_tutor_chat_answers_from_the_session_citing_its_minute(api):
    world = await organization(api)
    learner = world["learner"]
    accepted = await upload_session(api, learner, "history_ww1_01.vtt", subject="History")
    done = await settled_session(api, learner, accepted.json()["id"])
    assert done["status"] == "ready"
    conversation = (await api.http.post("/v1/conversations", json={}, headers=learner.headers(api))).json()
    reply = await api.http.post(
        f"/v1/conversations/{conversation['id']}/messages",
        params={"wait": "true"},
        json={"question": "What did we say about the assassination of Franz Ferdinand?"},
        headers=learner.headers(api),
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    citations = reply.json()["citations"]
    assert citations and citations[0]["label"].startswith("history_ww1_01.vtt, 00:")


async def test_fresh_session_analysis_histories_replay(api, temporal_env):
    """A tutor's session and its correction, recorded from real runs and replayed: windows,
    validation, mastery, the practice child workflow and the second version are in the history."""
    world = await organization(api)
    tutor, learner = world["tutor"], world["learner"]
    accepted = await upload_session(api, tutor, "algebra_quadratics_01.vtt", learner_id=learner.user_id)
    first = await settled_session(api, tutor, accepted.json()["id"])
    assert first["status"] == "ready", first
    corrected = await api.http.patch(
        f"/v1/sessions/{first['id']}",
        json={"speaker_mapping": {"Ms Patel": "tutor", "Jordan": "learner"}},
        headers=tutor.headers(api),
    )
    assert corrected.status_code == 202, corrected.text
    second = await settled_session(api, tutor, first["id"])
    assert second["status"] == "ready" and second["analysis_version"] == 2
    for version, label in ((1, RECORDING_LABEL), (2, f"{RECORDING_LABEL}-corrected")):
        handle = temporal_env.client.get_workflow_handle(workflow_ids.session_analysis(uuid.UUID(first["id"]), version))
        assert await handle.result() == "ready"
        history = await handle.fetch_history()
        await replayer().replay_workflow(history)
        if os.environ.get("STUDYFLOW_RECORD_HISTORIES"):
            (HISTORIES / f"SessionAnalysisWorkflow__{label}.json").write_text(history.to_json())


async def test_a_worker_killed_mid_analysis_leaves_one_analysis_and_one_paid_reply_per_window(
    database_url, llm_server, tmp_path, temporal_env, session_factory, user_a
):
    """The worker dies while the model is reading the sixth of eight windows (the first five
    answered and kept); a new worker finishes the analysis: one analysis, one insight and one paid
    reply per window, and only the window in flight asked again."""
    import signal
    from contextlib import AsyncExitStack

    from studyflow.sessions.transcript import detect, parse
    from studyflow.sessions.windows import windows_of
    from tests.support.app import make_settings, open_api_client
    from tests.support.worker_process import spawn_worker

    name = "history_cold_war_04.json"
    text = (DATA / name).read_text()
    utterances = parse(text, detect(text))
    windows = windows_of(utterances, 600)
    assert len(windows) == 8
    # As the window's prompt has it (`12:30 L: text`): the practice made later quotes the same
    # words from the transcript's chunks, in another form.
    in_flight = next(
        f" L: {u.text}"
        for u in utterances[windows[5].first : windows[5].last + 1]
        if u.speaker == "Tariq" and len(u.text.split()) >= 8
    )
    subject = f"Cold War {uuid.uuid4().hex[:8]}"
    # The SDK sends heartbeats at most every 0.8 × the timeout: at 1.5 s the 0.3 s left over was
    # lost on a loaded machine, and a live attempt was retried as if its worker had died.
    settings = make_settings(database_url, llm_server, tmp_path, llm_heartbeat_timeout_seconds=5)
    address = temporal_env.client.service_client.config.target_host
    llm_server.on(in_flight, [Reply.auto(delay=6)])
    # Other tests analyse the same transcripts through the session's one scripted server.
    earlier = llm_server.arrived(in_flight)
    first = spawn_worker(settings, address)
    second = None
    try:
        async with AsyncExitStack() as stack:
            api = await open_api_client(stack, settings, temporal_env)
            accepted = await api.http.post(
                "/v1/sessions",
                files={"file": (name, text.encode(), "application/octet-stream")},
                data={"subject": subject},
                headers=api.auth(user_a),
            )
            assert accepted.status_code == 202, accepted.text
            session_id = accepted.json()["id"]

            async def paid() -> int:
                async with session_factory() as session:
                    return await session.scalar(
                        select(func.count()).where(
                            LlmCall.idempotency_key.like(f"session-insights:{session_id}:%"), LlmCall.outcome == "ok"
                        )
                    )

            async def state() -> tuple[int, int]:
                return llm_server.arrived(in_flight) - earlier, await paid()

            # The window in flight has arrived, and every other window's reply is paid and recorded.
            await poll_until(state, lambda s: s[0] >= 1 and s[1] == 7, timeout=90, every=0.1)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            second = spawn_worker(settings, address)

            async def fetch():
                return (await api.http.get(f"/v1/sessions/{session_id}", headers=api.auth(user_a))).json()

            done = await poll_until(fetch, lambda s: s["status"] != "processing", timeout=120, every=0.3)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)

    assert done["status"] == "ready", done
    assert done["analysis"]["windows"] == 8 and done["analysis"]["engine"] == "llm"
    assert llm_server.arrived(in_flight) - earlier == 2, "the killed attempt and exactly one retry"
    asked = [c for c in llm_server.calls(subject) if c.schema_name == "session_insights"]
    assert len(asked) == 8 + 1, "no window but the one in flight asked again"
    async with session_factory() as session:
        analyses = await session.scalar(select(func.count()).where(SessionAnalysis.session_id == uuid.UUID(session_id)))
        analysis_id = await session.scalar(
            select(SessionAnalysis.id).where(SessionAnalysis.session_id == uuid.UUID(session_id))
        )
        insights = (
            await session.execute(
                select(SessionWindowInsight.window_index, SessionWindowInsight.engine).where(
                    SessionWindowInsight.analysis_id == analysis_id
                )
            )
        ).all()
        keys = (
            await session.execute(
                select(LlmCall.idempotency_key, func.count())
                .where(LlmCall.idempotency_key.like(f"session-insights:{session_id}:%"), LlmCall.outcome == "ok")
                .group_by(LlmCall.idempotency_key)
            )
        ).all()
    assert analyses == 1
    assert sorted(i for i, _ in insights) == list(range(8)) and {e for _, e in insights} == {"llm"}
    assert sorted(k for k, _ in keys) == sorted(f"session-insights:{session_id}:v1:w{w}" for w in range(8))
    assert all(n == 1 for _, n in keys), keys
