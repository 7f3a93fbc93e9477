"""How the Temporal connection combines TLS, client certificates and an API key."""

from __future__ import annotations

from temporalio.client import TLSConfig

from studyflow.settings import Settings
from studyflow.temporal_client import tls_and_api_key


def _settings(tmp_path, **values) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)


def test_an_api_key_keeps_the_client_certificate(tmp_path):
    (tmp_path / "client.pem").write_bytes(b"CERT")
    (tmp_path / "client.key").write_bytes(b"KEY")
    tls, api_key = tls_and_api_key(
        _settings(
            tmp_path,
            temporal_api_key="secret-key",
            temporal_tls_client_cert_path=tmp_path / "client.pem",
            temporal_tls_client_key_path=tmp_path / "client.key",
        )
    )
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key) == (b"CERT", b"KEY")
    assert api_key == "secret-key"


def test_an_api_key_alone_implies_tls(tmp_path):
    assert tls_and_api_key(_settings(tmp_path, temporal_api_key="secret-key")) == (True, "secret-key")


def test_nothing_configured_is_plain_text(tmp_path):
    assert tls_and_api_key(_settings(tmp_path)) == (False, None)
