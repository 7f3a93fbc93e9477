"""What LLM calls cost: a price per million input and output tokens per model (LLM_PRICES).

A model missing from the table costs 0 — right for the bundled local model, and said once in the
log for any other, since a budget cannot hold against calls it does not see the price of."""

from __future__ import annotations

import logging
from decimal import Decimal

from pydantic import BaseModel, Field

from studyflow.engines import is_bundled

log = logging.getLogger("studyflow.prices")
_warned: set[str] = set()


class LlmPrice(BaseModel):
    input_per_million_usd: Decimal = Field(ge=0)
    output_per_million_usd: Decimal = Field(ge=0)


def call_cost(
    prices: dict[str, LlmPrice], model: str, prompt_tokens: int | None, completion_tokens: int | None
) -> Decimal:
    price = prices.get(model)
    if price is None:
        # The bundled local model is free by design: no warning on the default setup.
        if model not in _warned and model != "none" and not is_bundled(model):
            _warned.add(model)
            log.warning("no price for model %r in LLM_PRICES: its calls are counted as free", model)
        return Decimal(0)
    cost = (
        Decimal(prompt_tokens or 0) * price.input_per_million_usd
        + Decimal(completion_tokens or 0) * price.output_per_million_usd
    ) / 1_000_000
    return cost.quantize(Decimal("0.000001"))
