"""Which task queue an embedding-heavy activity runs on, decided from the workflow's input.

Reading and embedding sources and indexing outlines and notes take seconds of CPU; on their own
queue (TASK_QUEUE_CPU, served by a worker process of their own at a lower priority) they cannot
delay a workflow task or a tutor answer. The starter records the queue in the input, so replays
see what the run saw; runs recorded before the marker keep the queue they used then.
"""

from __future__ import annotations

from temporalio import workflow

CPU_QUEUE_PATCH = "cpu-task-queue"


def cpu_heavy_queue(cpu_task_queue: str | None, before: str | None) -> str | None:
    """`before`: where the activity ran before the cpu queue existed (None: the workflow's queue)."""
    if cpu_task_queue is not None and workflow.patched(CPU_QUEUE_PATCH):
        return cpu_task_queue
    return before
