"""Learners' own material: upload or URL → SourceIngestionWorkflow → chunks with locators.

Real Postgres, real Temporal, real readers in their bounded child process, real embeddings."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from activities.errors import SourceUnreadableError
from activities.retrieval import Retriever
from activities.sources.extracted import ReadLimits
from activities.sources.readers.pdf import read as read_pdf
from activities.sources.url_fetch import fetch_page
from db.models import ContentChunk, Source, User
from tests.support import source_files as files
from tests.support.sources import add_url, ingested, settled, upload
from tests.support.web_pages import WebPages
from worker import build_activities

JOINS = [
    "Inner joins return only the rows that have matching keys in both tables of the query.",
    "A left outer join keeps every row of the left table and fills missing columns with NULL.",
    "Cross joins pair every row of one table with every row of the other: a Cartesian product.",
]


@pytest.fixture(scope="module")
def web_pages():
    pages = WebPages()
    yield pages
    pages.close()


async def _chunks(session_factory, source_id: str) -> list[ContentChunk]:
    async with session_factory() as session:
        return list(
            await session.scalars(
                select(ContentChunk)
                .where(ContentChunk.source_id == uuid.UUID(source_id))
                .order_by(ContentChunk.chunk_index)
            )
        )


# --- each format ingests with its locators -----------------------------------------------------


async def test_a_pdf_ingests_page_by_page_with_page_locators(api, user_a, session_factory):
    source = await ingested(api, user_a, "lecture-3.pdf", files.pdf(JOINS))
    assert source["status"] == "ready", source
    assert source["kind"] == "pdf" and source["pages"] == 3 and source["segments"] is None
    chunks = await _chunks(session_factory, source["id"])
    assert source["chunk_count"] == len(chunks) >= 3
    pages = {chunk.locator["page"]: chunk.text for chunk in chunks}
    assert set(pages) == {1, 2, 3}
    assert "left outer join" in pages[2] and "Cartesian" in pages[3]
    assert all(chunk.course_id is None and len(chunk.embedding) == 384 for chunk in chunks)


async def test_markdown_docx_and_html_keep_their_headings(api, user_a, session_factory):
    markdown = (
        b"# SQL joins\n\nIntro to combining tables.\n\n## Inner join\n\nMatching rows only.\n\n"
        b"## Left join\n\nAll left rows.\n"
    )
    sections = [("Inner join", "Matching rows only, from both tables."), ("Left join", "All rows of the left table.")]
    ingested_by_name = {}
    for name, data in [
        ("joins.md", markdown),
        ("joins.docx", files.docx_file(sections)),
        ("joins.html", files.html_page("Joins explained", sections)),
    ]:
        source = ingested_by_name[name] = await ingested(api, user_a, name, data)
        assert source["status"] == "ready", (name, source)
        by_heading = {c.locator.get("heading"): c.text for c in await _chunks(session_factory, source["id"])}
        assert "Matching rows only" in by_heading["Inner join"], (name, by_heading)
        assert "left table" in by_heading["Left join"].lower() or "All left rows" in by_heading["Left join"], name
    html = ingested_by_name["joins.html"]
    texts = " ".join(c.text for c in await _chunks(session_factory, html["id"]))
    assert "Copyright footer" not in texts and "About" not in texts  # boilerplate left out


async def test_transcripts_are_segmented_by_time(api, user_a, session_factory):
    cues = [
        ("00:00:01.000", "00:00:05.000", "Welcome to the tutoring session on recursion."),
        ("00:00:06.000", "00:00:20.000", "A recursive function calls itself on a smaller input."),
        ("00:01:30.000", "00:01:40.000", "Every recursion needs a base case or it never stops."),
    ]
    source = await ingested(api, user_a, "session.vtt", files.vtt(cues))
    assert source["status"] == "ready" and source["kind"] == "transcript" and source["segments"] == 2
    chunks = await _chunks(session_factory, source["id"])
    assert [c.locator["start"] for c in chunks] == ["00:00:01", "00:01:30"]
    assert "base case" in chunks[1].text
    srt_cues = [(s.replace(".", ","), e.replace(".", ","), t) for s, e, t in cues]
    srt = await ingested(api, user_a, "session.srt", files.srt_file(srt_cues))
    assert [c.locator["start"] for c in await _chunks(session_factory, srt["id"])] == ["00:00:01", "00:01:30"]


async def test_a_web_page_is_fetched_and_named_by_its_title(api, user_a, session_factory, web_pages):
    sections = [("Inner join", "Matching rows only, from both tables."), ("Left join", "All rows of the left table.")]
    url = web_pages.serve("/articles/joins", files.html_page("Joins explained", sections))
    response = await add_url(api, user_a, url)
    assert response.status_code == 202, response.text
    source = await settled(api, user_a, response.json()["id"])
    assert source["status"] == "ready" and source["kind"] == "url" and source["name"] == "Joins explained"
    assert source["url"] == url and source["size_bytes"] > 0
    assert any(c.locator.get("heading") == "Inner join" for c in await _chunks(session_factory, source["id"]))


# --- one source per file, one learner's material never another's ------------------------------


async def test_the_same_file_uploaded_twice_is_one_source(api, user_a, session_factory):
    data = files.pdf([f"Unique lecture {uuid.uuid4().hex}: normal forms remove redundancy."])
    first = await ingested(api, user_a, "normal-forms.pdf", data)
    again = await upload(api, user_a, "copy of normal-forms.pdf", data)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    async with session_factory() as session:
        owner = await session.scalar(select(User.id).where(User.clerk_id == user_a))
        count = await session.scalar(select(func.count()).where(Source.owner_id == owner))
    assert count == 1


async def test_another_learners_sources_are_invisible(api, user_a, user_b, settings, session_factory):
    secret = "Zebra-striped indexing is the private heuristic of learner A."
    source = await ingested(api, user_a, "private.md", f"# Secret\n\n{secret}\n".encode())
    for method in ("get", "delete"):
        response = await getattr(api.http, method)(f"/v1/sources/{source['id']}", headers=api.auth(user_b))
        assert response.status_code == 404
    assert (await api.http.get("/v1/sources", headers=api.auth(user_b))).json()["items"] == []
    stolen = await api.http.post("/v1/courses", json={"source_ids": [source["id"]]}, headers=api.auth(user_b))
    assert stolen.status_code == 404 and source["id"] in stolen.json()["error"]["message"]

    # B's own course retrieval, asked the very words of A's source, finds none of A's chunks.
    course = await api.http.post("/v1/courses", json={"topic": "Zebra-striped indexing"}, headers=api.auth(user_b))
    async with session_factory() as session:
        b_owner = await session.scalar(select(User.id).where(User.clerk_id == user_b))
    activities = build_activities(settings, session_factory, None)
    [vector] = await activities.study._embedder.embed([secret])
    found = await Retriever(session_factory, strict=-1, relaxed=-1).search(
        owner_id=b_owner, course_id=uuid.UUID(course.json()["course_id"]), query_text=secret, query_vector=vector, k=50
    )
    a_chunks = {c.id for c in await _chunks(session_factory, source["id"])}
    assert a_chunks and not a_chunks & {c.chunk_id for c in found}


# --- bad input: a clear answer, nothing left behind ---------------------------------------------


async def test_files_that_are_not_what_they_claim_are_refused_by_content(api, user_a):
    cases = [
        ("slides.pdf", files.png(), "slides.pdf is named like a PDF but the file is a PNG image", 415),
        ("photo.png", files.png(), "a PNG image", 415),
        ("archive.docx", _zip_with("notes/readme.txt"), "not a Word document", 415),
        ("notes.vtt", b"Just some words, not a transcript.", "named like a WebVTT or SRT transcript", 415),
    ]
    for name, data, message, status in cases:
        response = await upload(api, user_a, name, data)
        assert response.status_code == status, (name, response.text)
        assert message in response.json()["error"]["message"], (name, response.json())
    sources = (await api.http.get("/v1/sources", headers=api.auth(user_a))).json()
    assert sources["items"] == []


def _zip_with(member: str) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(member, "hello")
    return out.getvalue()


async def test_unreadable_files_fail_with_a_learners_message_and_leave_nothing(api, user_a, session_factory, settings):
    cases = [
        ("protected.pdf", files.encrypted_pdf("secret lecture"), "password-protected"),
        ("broken.pdf", files.damaged_pdf(), "damaged"),
        ("scan.pdf", files.scanned_pdf(), "no text layer"),
        ("empty.txt", b"", "empty"),
        ("bomb.docx", files.docx_bomb(settings.source_unpacked_max_mb + 20), "unpacks to"),
    ]
    for name, data, message in cases:
        response = await upload(api, user_a, name, data)
        assert response.status_code == 202, (name, response.text)
        source = await settled(api, user_a, response.json()["id"])
        assert source["status"] == "failed" and message in source["error"], (name, source)
        assert source["chunk_count"] == 0 and await _chunks(session_factory, source["id"]) == []
        async with session_factory() as session:
            row = await session.get(Source, uuid.UUID(source["id"]))
        assert row.object_key is None  # the stored bytes went with it
    async with session_factory() as session:
        owner = await session.scalar(select(User.id).where(User.clerk_id == user_a))
    assert not [p for p in (Path(settings.source_store_root) / str(owner)).rglob("*") if p.is_file()]
    listing = (await api.http.get("/v1/sources", headers=api.auth(user_a))).json()
    assert listing["used_bytes"] == 0  # failed sources take no storage


async def test_web_pages_that_do_not_answer_fail_with_the_reason(api, user_a, web_pages):
    missing = await add_url(api, user_a, web_pages.url("/gone"))
    source = await settled(api, user_a, missing.json()["id"])
    assert source["status"] == "failed" and "HTTP 404" in source["error"]
    closed = await add_url(api, user_a, "http://127.0.0.1:9/nothing-listens-here")
    source = await settled(api, user_a, closed.json()["id"])
    assert source["status"] == "failed" and "could not be reached" in source["error"]
    bad = await add_url(api, user_a, "ftp://example.com/file")
    assert bad.status_code == 422 and "Web address: Enter a web address" in bad.json()["error"]["message"]


async def test_private_addresses_are_refused_unless_allowed(tmp_path, web_pages):
    url = web_pages.serve("/inside", b"<html><body><p>intranet</p></body></html>")
    with pytest.raises(SourceUnreadableError, match="private network"):
        await fetch_page(url, tmp_path / "page", max_bytes=10_000, timeout_seconds=5, allow_private=False)
    fetched = await fetch_page(url, tmp_path / "page", max_bytes=10_000, timeout_seconds=5, allow_private=True)
    assert fetched.size_bytes > 0


async def test_uploads_over_the_size_limit_are_refused_while_reading(stack_with, user_a):
    api = await stack_with(source_max_bytes=50_000)
    response = await upload(api, user_a, "big.txt", b"word " * 40_000)
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "the file is larger than the 48 KB upload limit"
    assert (await api.http.get("/v1/sources", headers=api.auth(user_a))).json()["items"] == []


async def test_source_and_storage_quotas(stack_with, user_a):
    api = await stack_with(free_sources=2, free_source_storage_mb=1)
    first = await ingested(api, user_a, "a.md", b"# A\n\nFirst notes on graphs and their edges.\n")
    failed = await ingested(api, user_a, "empty.md", b"")
    assert first["status"] == "ready" and failed["status"] == "failed"
    # The failed one does not count: there is room for one more.
    second = await upload(api, user_a, "b.md", b"# B\n\nSecond notes on trees.\n")
    assert second.status_code == 202
    third = await upload(api, user_a, "c.md", b"# C\n\nThird notes.\n")
    assert third.status_code == 429 and "2 sources on the free plan" in third.json()["error"]["message"]
    await api.http.delete(f"/v1/sources/{first['id']}", headers=api.auth(user_a))
    too_big = await upload(api, user_a, "big.txt", b"word " * 250_000)
    assert too_big.status_code == 413 and "storage quota" in too_big.json()["error"]["message"]


async def test_an_upload_over_the_rate_limit_is_refused_before_its_body_is_read(stack_with, user_a):
    api = await stack_with(rate_limit_burst=1, rate_limit_per_minute=0.01)
    assert (await upload(api, user_a, "a.md", b"# A\n\nFirst notes on graphs.\n")).status_code == 202
    # Not even multipart: read and parsed, this body would be a 400. The rate limit answers first.
    garbage = {**api.auth(user_a), "content-type": "multipart/form-data; boundary=none-here"}
    refused = await api.http.post("/v1/sources", content=b"x" * 300_000, headers=garbage)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["message"].startswith("too many generation requests")
    assert int(refused.headers["Retry-After"]) >= 1
    # A real file is refused the same way, on a connection that still works, and nothing is kept.
    assert (await upload(api, user_a, "b.md", b"# B\n\nSecond notes on trees.\n")).status_code == 429
    listed = (await api.http.get("/v1/sources", headers=api.auth(user_a))).json()
    assert [item["name"] for item in listed["items"]] == ["a.md"]


async def test_a_reader_that_overruns_its_time_is_stopped(stack_with, user_a, session_factory):
    api = await stack_with(source_extract_timeout_seconds=0.05)
    source = await ingested(api, user_a, "lecture.pdf", files.pdf(JOINS))
    assert source["status"] == "failed" and "took longer than we allow" in source["error"]
    assert await _chunks(session_factory, source["id"]) == []


async def test_deleting_a_source_removes_its_chunks_and_bytes(api, user_a, session_factory, settings):
    source = await ingested(api, user_a, "to-delete.md", b"# Gone\n\nMaterial about heaps and priority queues.\n")
    async with session_factory() as session:
        key = (await session.get(Source, uuid.UUID(source["id"]))).object_key
    assert (Path(settings.source_store_root) / key).exists()
    assert (await api.http.delete(f"/v1/sources/{source['id']}", headers=api.auth(user_a))).status_code == 204
    assert await _chunks(session_factory, source["id"]) == []
    assert not (Path(settings.source_store_root) / key).exists()
    assert (await api.http.get(f"/v1/sources/{source['id']}", headers=api.auth(user_a))).status_code == 404


async def test_a_long_document_is_indexed_in_batches_across_continued_runs(
    stack_with, user_a, session_factory, temporal_env
):
    api = await stack_with(source_batch_units=1, source_batches_per_run=2)
    source = await ingested(
        api, user_a, "five-pages.pdf", files.pdf([f"Page {n}: {JOINS[n % 3]}" for n in range(1, 6)])
    )
    assert source["status"] == "ready" and source["pages"] == 5
    assert {c.locator["page"] for c in await _chunks(session_factory, source["id"])} == {1, 2, 3, 4, 5}
    description = await temporal_env.client.get_workflow_handle(source["workflow_id"]).describe()
    info = description.raw_description.workflow_execution_info
    assert info.first_run_id and info.first_run_id != description.run_id  # it continued as new


def test_a_page_that_overruns_its_time_limit_is_skipped_and_counted(tmp_path):
    path = tmp_path / "slow.pdf"
    path.write_bytes(files.pdf(JOINS))
    result = read_pdf(path, (0, 3), ReadLimits(page_timeout_seconds=1e-6, unpacked_max_bytes=1 << 20))
    assert result.units == 3 and result.skipped == 3 and result.sections == []
    result = read_pdf(path, (0, 3), ReadLimits(page_timeout_seconds=10, unpacked_max_bytes=1 << 20))
    assert result.skipped == 0 and len(result.sections) == 3
