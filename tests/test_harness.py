"""The shared test services are real: a Temporal server runs workflows, the scripted LLM server is
reached by the real `openai` client."""

from __future__ import annotations

import json
import uuid

import openai
import pytest
from temporalio.worker import Worker

from tests.support.scripted_openai import Reply
from tests.support.shout_workflow import ShoutWorkflow, shout


async def test_a_worker_runs_a_workflow_on_the_real_server(temporal_env):
    queue = f"harness-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal_env.client, task_queue=queue, workflows=[ShoutWorkflow], activities=[shout]):
        result = await temporal_env.client.execute_workflow(
            ShoutWorkflow.run, "hello", id=f"shout-{uuid.uuid4()}", task_queue=queue
        )
    assert result == "HELLO"


async def test_the_openai_client_reaches_the_scripted_server(llm_server):
    marker = f"marker-{uuid.uuid4().hex}"
    llm_server.on(marker, [Reply.json({"answer": 42}), Reply.text("{not json"), Reply.error(429)])
    client = openai.AsyncOpenAI(api_key="k", base_url=llm_server.base_url("primary"), max_retries=0)
    async with client:
        first = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": marker}])
        second = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": marker}])
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="m", messages=[{"role": "user", "content": marker}])
        embedded = await client.embeddings.create(model="e", input=["a b", "a b"], dimensions=384)
    assert json.loads(first.choices[0].message.content) == {"answer": 42}
    with pytest.raises(json.JSONDecodeError):
        json.loads(second.choices[0].message.content)
    assert [c.status for c in llm_server.calls(marker)] == [200, 200, 429]
    assert len(embedded.data[0].embedding) == 384
    assert embedded.data[0].embedding == embedded.data[1].embedding


async def test_a_slow_reply_times_out_the_client(llm_server):
    marker = f"slow-{uuid.uuid4().hex}"
    llm_server.on(marker, [Reply.json({"late": True}, delay=2)])
    client = openai.AsyncOpenAI(api_key="k", base_url=llm_server.base_url("primary"), max_retries=0, timeout=0.3)
    async with client:
        with pytest.raises(openai.APITimeoutError):
            await client.chat.completions.create(model="m", messages=[{"role": "user", "content": marker}])
