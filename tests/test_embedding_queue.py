"""The embedding thread serves the smallest waiting request first (activities/embedders/embedding_queue.py):
a one-line tutor question waits for the batch already running, not for a whole course's chunks."""

from __future__ import annotations

import asyncio
import threading

from activities.embedders.embedding_queue import EmbeddingQueue


class RecordingModel:
    """Embeds a text as [its length]; the first forward pass waits until released."""

    def __init__(self) -> None:
        self.passes: list[list[str]] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def encode(self, texts: list[str]) -> list[list[float]]:
        self.passes.append(list(texts))
        self.started.set()
        self.release.wait(10)
        return [[float(len(text))] for text in texts]


async def test_a_small_request_runs_before_the_rest_of_a_large_one():
    model = RecordingModel()
    embedding = EmbeddingQueue(model.encode, batch_size=4)
    chunks = [f"chunk {'x' * n}" for n in range(10)]  # three passes: 4, 4 and 2 texts
    large = asyncio.create_task(embedding.embed(chunks))
    await asyncio.to_thread(model.started.wait, 10)
    question = asyncio.create_task(embedding.embed(["what is a base case?"]))
    await asyncio.sleep(0.05)  # queued behind the pass already running
    model.release.set()
    assert await question == [[20.0]]
    assert await large == [[float(len(c))] for c in chunks]  # each vector where its text was
    assert model.passes[1] == ["what is a base case?"]
    # The large request's passes: longest first, four at a time, as the model would batch them.
    assert [len(p) for p in model.passes] == [4, 1, 4, 2]
    assert model.passes[0] == sorted(chunks, key=len, reverse=True)[:4]


async def test_a_failed_pass_fails_only_its_request():
    def encode(texts: list[str]) -> list[list[float]]:
        if "poison" in texts:
            raise ValueError("the model choked")
        return [[1.0] for _ in texts]

    embedding = EmbeddingQueue(encode, batch_size=2)
    bad, good = await asyncio.gather(embedding.embed(["a", "poison"]), embedding.embed(["b"]), return_exceptions=True)
    assert isinstance(bad, ValueError) and good == [[1.0]]
