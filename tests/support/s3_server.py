"""A local S3-compatible server for the object-store tests: moto in server mode, as its own process
on a free loopback port, so the S3 store is tested over HTTP exactly as it talks to a real bucket."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import boto3

from cli.ports import wait_for_port

# moto accepts any credentials; boto3 needs some to sign requests.
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    def __init__(self) -> None:
        self.port = _free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    def start(self) -> S3Server:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port("127.0.0.1", self.port, timeout=30):
            self.stop()
            raise RuntimeError("the moto S3 server did not start")
        return self

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        name = f"studyflow-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings_for(self, bucket: str, prefix: str = "") -> dict:
        """Settings overrides that point the product at this server."""
        return dict(
            object_store="s3",
            s3_bucket=bucket,
            s3_endpoint_url=self.endpoint_url,
            s3_region=REGION,
            s3_access_key_id=ACCESS_KEY,
            s3_secret_access_key=SECRET_KEY,
            s3_prefix=prefix,
        )

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            deadline = time.monotonic() + 10
            while self._process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if self._process.poll() is None:
                self._process.kill()
        self._process = None
