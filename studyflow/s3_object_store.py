"""Uploads in an S3-compatible bucket (AWS S3, MinIO, R2, GCS interoperability), for deployments
where the API and the workers run on different machines and share no disk.

Blocking like the local store (boto3 has no asyncio API): callers run each call in a thread.
One boto3 client serves every thread; clients are thread-safe, sessions are not, so the session
is used once, here."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from studyflow.settings import Settings

# Above this a put is a multipart upload; uploads are capped at SOURCE_MAX_BYTES (25 MB) anyway.
_TRANSFER = TransferConfig(multipart_threshold=16 * 1024 * 1024, max_concurrency=4)


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


def _secret(value) -> str | None:
    # `VAR=` from a ConfigMap or compose is "not configured", not an empty credential.
    return value.get_secret_value() or None if value is not None else None


class S3ObjectStore:
    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ):
        self._bucket = bucket
        self._prefix = prefix
        session = boto3.session.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, region_name=region
        )
        # Standard retries back off on throttling (503 SlowDown) instead of failing the upload.
        config = Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32)
        self._client = session.client("s3", endpoint_url=endpoint_url, config=config)

    @classmethod
    def from_settings(cls, settings: Settings) -> S3ObjectStore:
        return cls(
            settings.s3_bucket or "",
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=_secret(settings.s3_access_key_id),
            secret_access_key=_secret(settings.s3_secret_access_key),
        )

    def _key(self, key: str) -> str:
        # The same refusal as the local store: a key is ours to build, never a path to climb out of.
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or ".." in parts:
            raise ValueError(f"object key escapes the store: {key!r}")
        return self._prefix + key

    def put(self, key: str, file_path: Path) -> None:
        # S3 makes an object visible only once its upload completes: no reader sees half a file.
        self._client.upload_file(str(file_path), self._bucket, self._key(key), Config=_TRANSFER)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        full_key = self._key(key)
        with tempfile.TemporaryDirectory(prefix="studyflow-object-") as directory:
            path = Path(directory) / "object"
            try:
                self._client.download_file(self._bucket, full_key, str(path), Config=_TRANSFER)
            except ClientError as error:
                if _missing(error):
                    raise FileNotFoundError(f"object {key!r} is not in the store") from None
                raise
            yield path

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self._bucket, Key=self._key(key))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    def keys(self) -> Iterator[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=self._prefix)
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(self._prefix) :]
