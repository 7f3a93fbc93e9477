"""Property-based fuzzing of the API over its own OpenAPI schema (schemathesis), as two learners.

The API runs as its own process on a real port with the session's worker behind it, so the
stateful phase's create → read → act chains reach real workflows. Every check schemathesis has
runs: no 5xx, every status and body documented, invalid input refused, one learner never reading
the other's objects (`object_level_authorization` with the two learners as peers)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from tests.support.api_process import spawn_api
from tests.support.fake_stripe import FakeStripe
from tests.support.signing import CLERK_SECRET, STRIPE_SECRET

# Bounded so the run stays within a few minutes on two cores.
MAX_EXAMPLES = int(os.environ.get("STUDYFLOW_FUZZ_EXAMPLES", "8"))
MAX_SECONDS = int(os.environ.get("STUDYFLOW_FUZZ_SECONDS", "150"))


async def test_the_api_holds_its_schema_under_fuzzing(api, temporal_env, settings, tmp_path, user_a, user_b):
    address = temporal_env.client.service_client.config.target_host
    stripe_api = FakeStripe().start()
    process, base_url = await asyncio.to_thread(
        spawn_api,
        settings,
        address,
        # Billing and webhooks configured, so they answer as in production (signatures checked).
        STRIPE_API_KEY="sk_test_fuzz",
        STRIPE_PRICE_ID_PRO="price_fuzz",
        STRIPE_API_BASE=stripe_api.base_url,
        STRIPE_WEBHOOK_SECRET=STRIPE_SECRET,
        CLERK_WEBHOOK_SECRET=CLERK_SECRET,
        FREE_COURSES_PER_DAY="100000",
        FREE_STUDY_CONTENT_PER_DAY="100000",
        RATE_LIMIT_BURST="100000",
        RATE_LIMIT_PER_MINUTE="1000000",
    )
    learners = {"learner-a": user_a, "learner-b": user_b}
    (tmp_path / "auth.json").write_text(
        json.dumps(
            {
                "auth": [
                    {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {api.token(user)}"}]}
                    for name, user in learners.items()
                ]
            }
        )
    )
    valid_answers = ["2xx", "401", "403", "404", "409", "429"]  # a state conflict or a quota is a fair answer
    (tmp_path / "schemathesis.toml").write_text(
        f"checks.positive_data_acceptance.expected-statuses = {json.dumps(valid_answers)}\n"
        "[auth.wfc]\n"
        f'path = "{tmp_path / "auth.json"}"\n'
        'peers = ["learner-a", "learner-b"]\n'
        # Operations are named exactly (`include-name`): an include-path next to an include-method
        # would match every operation with that method.
        # Whether an upload is a supported document is decided by its bytes, which a schema cannot
        # say ("format: binary"): a schema-valid PNG is rightly refused with 415.
        "[[operations]]\n"
        'include-name = ["POST /v1/sources", "POST /v1/sessions"]\n'
        f"checks.positive_data_acceptance.expected-statuses = {json.dumps(valid_answers + ['415'])}\n"
        # A goal's date must not be in the past, which a schema cannot say ("format: date"): a
        # schema-valid past date is rightly refused with 422 naming it.
        "[[operations]]\n"
        'include-name = ["POST /v1/goals", "PATCH /v1/goals/{goal_id}"]\n'
        f"checks.positive_data_acceptance.expected-statuses = {json.dumps(valid_answers + ['422'])}\n"
        # Rules between two inputs, which a schema cannot say either: an analytics period (from, to)
        # is at most 366 days, an assignment names exactly one of a learner and a group, and a
        # session's correction changes the speakers or the utterances. Each is refused with a 422
        # naming the rule.
        "[[operations]]\n"
        'include-name = ["GET /v1/analytics/learners/{learner_id}/improvement", '
        '"GET /v1/analytics/me/improvement", '
        '"GET /v1/analytics/organizations/{organization_id}/overview", '
        '"GET /v1/analytics/organizations/{organization_id}/overview.csv", "POST /v1/assignments", '
        '"PATCH /v1/sessions/{session_id}"]\n'
        f"checks.positive_data_acceptance.expected-statuses = {json.dumps(valid_answers + ['422'])}\n"
        # Organisation routes act in the organisation the session token names (Clerk's active
        # organisation claim); a token minted before the organisation existed names none, so its
        # reads are rightly 404 until the person switches into it.
        "[[operations]]\n"
        'include-path-regex = "^/v1/organizations/"\n'
        "checks.ensure_resource_availability.enabled = false\n"
    )
    report = tmp_path / "report.json"
    started = time.monotonic()
    try:
        command = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(tmp_path / "schemathesis.toml"),
            "run",
            f"{base_url}/openapi.json",
            # Every check runs by default; `--checks all` would also override the per-operation
            # `enabled = false` above, so only the response-time check it adds is asked for.
            "--max-response-time",
            "10",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--max-time",
            str(MAX_SECONDS),
            "--seed",
            "20261124",
            "--request-timeout",
            "15",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--no-color",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,  # schemathesis keeps a cache in its working directory
        )
        output, _ = await command.communicate()
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 10)
        stripe_api.stop()
    text = output.decode(errors="replace")
    if os.environ.get("STUDYFLOW_FUZZ_LOG"):
        with open(os.environ["STUDYFLOW_FUZZ_LOG"], "w") as log:
            log.write(text)
    print(text[-6000:])
    print(f"fuzz run: {time.monotonic() - started:.1f} s")
    assert command.returncode == 0, text[-6000:]
