from __future__ import annotations

from fastapi import APIRouter

from api.deps import SettingsDep
from api.schemas.web_config import WebConfig

router = APIRouter(prefix="/v1/config", tags=["web app"])


@router.get("", response_model=WebConfig)
async def web_config(settings: SettingsDep) -> WebConfig:
    return WebConfig(
        auth_mode="embedded" if settings.uses_embedded_auth else "clerk",
        clerk_publishable_key=None if settings.uses_embedded_auth else settings.clerk_publishable_key,
        dev_sign_in=settings.offers_dev_sign_in,
        bundled_model=settings.uses_bundled_model,
        content_engine=settings.content_engine,
        billing=settings.stripe_api_key is not None and bool(settings.stripe_price_id_pro),
        human_tutors=False,
    )
