"""The capacity model's arithmetic (bench/capacity_model.py), on made-up unit costs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench import capacity_model as model


def _cost(name: str, **values) -> model.UnitCost:
    fields = [f for f in model.UnitCost.__dataclass_fields__ if f not in ("name", "estimated_from")]
    return model.UnitCost(name=name, **{f: values.get(f, 0.0) for f in fields})


def _costs(**overrides) -> dict[str, model.UnitCost]:
    costs = {unit: _cost(unit) for unit in model.DAILY_MIX}
    costs.update({unit: _cost(unit, **values) for unit, values in overrides.items()})
    return costs


def test_cores_follow_the_peak_hour_and_the_target_utilisation():
    need = model.need_for(100_000, _costs(get={"api_cpu_ms": 1.0}), Decimal(0), Decimal(0))
    gets_per_second = 100_000 * model.ACTIVE_SHARE * model.DAILY_MIX["get"] * model.PEAK_HOUR_SHARE / 3600
    assert need.api_cores == pytest.approx(gets_per_second * 0.001 / model.TARGET_UTILISATION)
    assert need.worker_cores == 0


def test_temporal_actions_are_compared_with_cloud_and_shards():
    need = model.need_for(1_000_000, _costs(course={"temporal_actions": 10_000}), Decimal(0), Decimal(0))
    assert need.peak_actions_per_second > model.CLOUD_NAMESPACE_APS
    assert "over" in need.cloud_verdict
    shards = need.shards_needed
    assert (shards - 1) * model.SELF_HOSTED_ACTIONS_PER_SHARD < need.peak_actions_per_second
    assert shards * model.SELF_HOSTED_ACTIONS_PER_SHARD >= need.peak_actions_per_second


def test_llm_cost_prices_measured_input_and_assumed_output_tokens():
    costs = _costs(chat={"llm_calls": 1, "prompt_tokens": 1000})
    need = model.need_for(10_000, costs, Decimal("0.15"), Decimal("0.60"))
    per_question = (1000 * Decimal("0.15") + model.ASSUMED_OUTPUT_TOKENS["chat"] * Decimal("0.60")) / 1_000_000
    chats = Decimal(str(10_000 * model.ACTIVE_SHARE * model.DAILY_MIX["chat"]))
    assert need.llm_usd_per_month == pytest.approx(chats * per_question * model.DAYS_PER_MONTH)


def test_session_analysis_is_composed_of_an_ingestion_and_answers():
    transcript = _cost("transcript ingestion", worker_cpu_ms=900, object_bytes=40_000)
    chat = _cost("chat", worker_cpu_ms=50, llm_calls=1)
    analysis = model.session_analysis(transcript, chat, llm_calls=3)
    assert analysis.worker_cpu_ms == 1050 and analysis.llm_calls == 3 and analysis.object_bytes == 40_000
    assert analysis.estimated_from
