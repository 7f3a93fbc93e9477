from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import get_app_settings
from api.schemas.web_config import WebConfig
from studyflow.settings import Settings

router = APIRouter(prefix="/v1/config", tags=["web app"])


@router.get("", response_model=WebConfig)
async def web_config(settings: Settings = Depends(get_app_settings)) -> WebConfig:
    return WebConfig(
        auth_mode="embedded" if settings.uses_embedded_auth else "clerk",
        clerk_publishable_key=None if settings.uses_embedded_auth else settings.clerk_publishable_key,
        dev_sign_in=settings.offers_dev_sign_in,
    )
