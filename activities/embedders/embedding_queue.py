"""The one thread a process embeds on, serving the smallest request first.

A worker process embeds for every activity it runs: a tutor question (one text) and a course's
notes being indexed (hundreds of chunks) share its one model. In arrival order, the question
waited behind the whole batch: under `make abuse` a bystander's answer activity took 0.9-1.4 s
instead of ~0.2 s while another learner's generated material was being indexed. Here a request
is cut into forward-pass batches, and the thread always runs a batch of the smallest request
waiting (arrival order among equals), so a question waits for at most the one batch already
running. A large request can only be delayed by smaller ones, which finish quickly.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Encode = Callable[[list[str]], list[list[float]]]


@dataclass(order=True)
class _Batch:
    size: int  # of the whole request this batch is part of: the priority
    sequence: int
    texts: list[str] = field(compare=False)
    done: asyncio.Future = field(compare=False)
    loop: asyncio.AbstractEventLoop = field(compare=False)


class EmbeddingQueue:
    def __init__(self, encode: Encode, batch_size: int, name: str = "embedder") -> None:
        self._encode = encode
        self._batch_size = batch_size
        self._name = name
        self._pending: queue.PriorityQueue[_Batch] = queue.PriorityQueue()
        self._sequence = itertools.count()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def run_first(self, work: Callable[[], Any]) -> None:
        """`work` (loading the model) runs on the thread before any batch."""
        self._start(work)

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self._start(None)
        loop = asyncio.get_running_loop()
        # Longest first, as the models batch them: texts of a batch pad to similar lengths, and
        # the batches are the ones the model would have formed from the whole request.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        parts = [order[start : start + self._batch_size] for start in range(0, len(order), self._batch_size)]
        futures = []
        for positions in parts:
            done = loop.create_future()
            self._pending.put(_Batch(len(texts), next(self._sequence), [texts[i] for i in positions], done, loop))
            futures.append(done)
        vectors: list[list[float]] = [[] for _ in texts]
        for positions, batch in zip(parts, await asyncio.gather(*futures), strict=True):
            for position, vector in zip(positions, batch, strict=True):
                vectors[position] = vector
        return vectors

    def _start(self, first: Callable[[], Any] | None) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, args=(first,), name=self._name, daemon=True)
                self._thread.start()

    def _serve(self, first: Callable[[], Any] | None) -> None:
        if first is not None:
            try:
                first()
            except Exception:  # the first batch's encode loads again and reports the error there
                pass
        while True:
            batch = self._pending.get()
            if batch.done.cancelled():
                continue
            try:
                result: Any = self._encode(batch.texts)
                outcome = (batch.done.set_result, result)
            except BaseException as error:  # handed to the awaiting coroutine
                outcome = (batch.done.set_exception, error)
            try:
                batch.loop.call_soon_threadsafe(_settle, batch.done, *outcome)
            except RuntimeError:  # the caller's event loop has closed: nobody is waiting
                pass


def _settle(done: asyncio.Future, setter: Callable[[Any], None], value: Any) -> None:
    if not done.cancelled():
        setter(value)
