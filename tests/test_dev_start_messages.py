"""What `make dev` prints while the stack starts: what it waits for, in words, not a readiness
check's error text (a first run's workers take a while to load their model; nothing is wrong)."""

from __future__ import annotations

from cli.devstack import waiting_for


def test_idle_queues_read_as_workers_still_starting():
    assert waiting_for({"database": "ok", "temporal": "ok", "workers": "error: no worker polls the cpu queue"}) == (
        "the cpu worker to start polling"
    )
    assert waiting_for({"workers": "error: no worker polls the interactive, background, cpu queues"}) == (
        "the interactive, background and cpu workers to start polling"
    )


def test_other_failures_keep_their_check_and_reason():
    checks = {"database": "error: OperationalError", "temporal": "ok", "workers": "error: RPCError"}
    assert waiting_for(checks) == "database (error: OperationalError), workers (error: RPCError)"
    assert waiting_for({"database": "ok"}) == ""
