"""Replaying recorded workflow histories (tests/data/histories/), and recording fresh ones with
STUDYFLOW_RECORD_HISTORIES=<label>."""

from __future__ import annotations

import os
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS, workflow_runner

HISTORIES = Path(__file__).parents[1] / "data" / "histories"
RECORDING_LABEL = os.environ.get("STUDYFLOW_RECORD_HISTORIES", "recorded")


def replayer() -> Replayer:
    # The worker's own sandbox configuration: what replays here is what production runs.
    return Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=workflow_runner())
