"""`studyflow models` against the scripted OpenAI server: a verdict per endpoint, and a non-zero
exit when the primary is not usable (issue 30)."""

from __future__ import annotations

import io

from cli.models_check import run
from tests.support.app import make_settings
from tests.support.scripted_openai import Reply, _free_port


def _settings(llm_server, tmp_path, **overrides):
    return make_settings("postgresql://unused/db", llm_server, tmp_path, **overrides)


def test_both_endpoints_usable(llm_server, tmp_path):
    out = io.StringIO()
    assert run(_settings(llm_server, tmp_path), out) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("✓ primary: primary-model at ") and "JSON mode ok" in lines[0]
    assert lines[1].startswith("✓ fallback: fallback-model at ")


def test_a_missing_model_and_a_dead_fallback_are_named(llm_server, tmp_path):
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    out = io.StringIO()
    code = run(_settings(llm_server, tmp_path, openai_model="no-such-model", openai_fallback_base_url=dead), out)
    text = out.getvalue()
    assert code == 1, text
    assert "✗ primary: no-such-model" in text and "is not served there (it lists: primary-model)" in text
    assert "✗ fallback: fallback-model" in text and "cannot reach it" in text
    assert "The primary endpoint is not usable" in text


def test_json_mode_that_does_not_parse_fails_the_primary(llm_server, tmp_path):
    llm_server.on('Answer with the JSON object {"ok": true}', [Reply.text("sure! ok")], provider="primary")
    out = io.StringIO()
    assert run(_settings(llm_server, tmp_path), out) == 1
    assert "JSON mode does not work" in out.getvalue()


def test_make_dev_offers_a_model_server_it_finds_on_loopback(llm_server):
    from cli.local_servers import offer, probe

    closed = f"http://127.0.0.1:{_free_port()}/v1"
    found = probe([("Ollama", llm_server.base_url("primary")), ("LM Studio", closed)])
    assert [(f.name, f.models) for f in found] == [("Ollama", ["primary-model"])]
    text = offer(found)
    assert f"OPENAI_BASE_URL={llm_server.base_url('primary')} OPENAI_MODEL=primary-model OPENAI_API_KEY=local" in text
    assert offer([]) == ""
