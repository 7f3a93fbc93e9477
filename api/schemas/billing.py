from __future__ import annotations

from pydantic import BaseModel


class CheckoutSession(BaseModel):
    url: str
