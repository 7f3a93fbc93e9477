"""The object store's contract, run against each implementation: local files and an S3-compatible
bucket (a moto server on loopback). Then one upload through the API and the worker on S3."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import Source
from studyflow.object_store import LocalObjectStore, object_key, object_store_from
from studyflow.s3_object_store import S3ObjectStore
from studyflow.settings import Settings
from tests.support import source_files as files
from tests.support.sources import ingested


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    server = request.getfixturevalue("s3_server")
    return object_store_from(Settings(_env_file=None, **server.settings_for(server.new_bucket(), prefix="sources/")))


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / uuid.uuid4().hex
    path.write_bytes(data)
    return path


def _key(data: bytes) -> str:
    return object_key(uuid.uuid4(), hashlib.sha256(data).hexdigest())


def test_put_then_read_back_the_same_bytes(store, tmp_path):
    data = b"lecture notes \x00\xff" * 1000
    key = _key(data)
    assert not store.exists(key)
    store.put(key, _file(tmp_path, data))
    assert store.exists(key)
    with store.local_copy(key) as path:
        assert path.read_bytes() == data


def test_a_repeated_put_leaves_one_object(store, tmp_path):
    data = b"the same upload, retried"
    key = _key(data)
    store.put(key, _file(tmp_path, data))
    store.put(key, _file(tmp_path, data))
    assert list(store.keys()) == [key]


def test_delete_removes_and_is_idempotent(store, tmp_path):
    data = b"to be deleted"
    key = _key(data)
    store.put(key, _file(tmp_path, data))
    store.delete(key)
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(FileNotFoundError), store.local_copy(key):
        pass


def test_keys_lists_every_object(store, tmp_path):
    stored = set()
    for n in range(3):
        data = f"object {n}".encode()
        key = _key(data)
        store.put(key, _file(tmp_path, data))
        stored.add(key)
    assert set(store.keys()) == stored


def test_a_key_cannot_escape_the_store(store, tmp_path):
    for key in ("../outside", "a/../../outside", "/absolute"):
        with pytest.raises(ValueError, match="escapes the store"):
            store.put(key, _file(tmp_path, b"x"))


def test_settings_pick_the_store():
    assert isinstance(object_store_from(Settings(_env_file=None)), LocalObjectStore)
    s3 = Settings(_env_file=None, object_store="s3", s3_bucket="b", s3_region="eu-west-1")
    assert isinstance(object_store_from(s3), S3ObjectStore)
    with pytest.raises(ValueError, match="S3_BUCKET"):
        Settings(_env_file=None, object_store="s3")


async def test_an_upload_is_ingested_and_deleted_through_the_bucket(stack_with, s3_server, user_a, session_factory):
    bucket = s3_server.new_bucket()
    api = await stack_with(**s3_server.settings_for(bucket))
    source = await ingested(api, user_a, "joins.pdf", files.pdf(["Inner joins keep matching rows only."]))
    assert source["status"] == "ready" and source["chunk_count"] >= 1, source
    async with session_factory() as session:
        key = await session.scalar(select(Source.object_key).where(Source.id == uuid.UUID(source["id"])))
    listed = s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == [key]
    assert (await api.http.delete(f"/v1/sources/{source['id']}", headers=api.auth(user_a))).status_code == 204
    assert s3_server.client().list_objects_v2(Bucket=bucket).get("KeyCount") == 0
