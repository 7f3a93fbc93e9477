"""The cpu-queue worker lowers itself below everything else on the machine (worker.py): niceness,
its session's autogroup when the session is its own, and Linux's idle scheduling class on every
thread it already runs and every one it starts later when asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
AUTOGROUP = Path("/proc/self/autogroup")


def _group_nice() -> str:
    """The nice of this process's session autogroup; "-" when there is none to read: kernels
    without autogroups have no file, and a process still in the boot session's default group
    (as under some CI runners) reads an empty one."""
    fields = AUTOGROUP.read_text().split() if AUTOGROUP.exists() else []
    return fields[-1] if fields else "-"


# A new session's autogroup starts at nice 0; a probe sharing this session reads this one's.
NEW_GROUP, NEW_GROUP_LOWERED = ("0", "5") if AUTOGROUP.exists() else ("-", "-")
SHARED_GROUP = _group_nice()

PROBE = """
import os, threading, time
from studyflow.settings import Settings
from worker import lower_cpu_priority

started = threading.Event()
early = threading.Thread(target=lambda: (started.set(), time.sleep(5)), daemon=True)
early.start(); started.wait()
lower_cpu_priority(Settings(_env_file=None, worker_queues={queues}, worker_cpu_nice=5, worker_cpu_idle_class={idle}))
later = []
threading.Thread(target=lambda: later.append(os.sched_getscheduler(0))).start()
time.sleep(0.2)
classes = {{os.sched_getscheduler(int(t)) for t in os.listdir("/proc/self/task")}}
fields = open("/proc/self/autogroup").read().split() if os.path.exists("/proc/self/autogroup") else []
group = fields[-1] if fields else "-"
print(os.nice(0), sorted(classes), later, group)
"""


def _probe(queues: list[str], idle: bool, *, own_session: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(queues=queues, idle=idle)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        start_new_session=own_session,  # as `make dev` and the test stacks start every process
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling classes")
def test_a_cpu_queue_worker_runs_niced_in_the_idle_class_on_every_thread():
    base = os.nice(0)
    assert _probe(["cpu"], True) == f"{base + 5} [{os.SCHED_IDLE}] [{os.SCHED_IDLE}] {NEW_GROUP_LOWERED}"


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling classes")
def test_a_cpu_queue_worker_told_not_to_keeps_the_normal_class():
    base = os.nice(0)
    assert _probe(["cpu"], False) == f"{base + 5} [{os.SCHED_OTHER}] [{os.SCHED_OTHER}] {NEW_GROUP_LOWERED}"


def test_a_cpu_queue_worker_sharing_its_session_leaves_the_sessions_group_alone():
    """Started from a terminal beside other processes, lowering the session's autogroup would
    lower them too: only the worker's own niceness changes."""
    base = os.nice(0)
    assert (
        _probe(["cpu"], False, own_session=False) == f"{base + 5} [{os.SCHED_OTHER}] [{os.SCHED_OTHER}] {SHARED_GROUP}"
    )


def test_a_worker_polling_the_interactive_queue_keeps_its_priority():
    base = os.nice(0)
    probed = _probe(["interactive", "background", "cpu"], True)
    assert probed == f"{base} [{os.SCHED_OTHER}] [{os.SCHED_OTHER}] {NEW_GROUP}"
