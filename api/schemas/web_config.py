from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.api_input import ApiInput


class WebConfig(BaseModel):
    """What the web app needs before anyone signs in."""

    auth_mode: Literal["embedded", "clerk"]
    clerk_publishable_key: str | None = Field(description="set when auth_mode is clerk")
    dev_sign_in: bool = Field(description="POST /v1/auth/dev-token exists (embedded auth on a loopback address)")
    bundled_model: bool = Field(
        default=False,
        description="the configured model is the bundled demo model (SmolLM2-135M): study material comes from "
        "the learner's own documents; courses on a bare topic are beyond it",
    )
    content_engine: Literal["auto", "llm", "extractive"] = Field(
        default="auto", description="CONTENT_ENGINE: who writes material-based content (see studyflow/engines.py)"
    )
    billing: bool = Field(
        default=False, description="an upgrade can be bought (Stripe configured): the app offers it only then"
    )
    human_tutors: bool = Field(
        default=False,
        description="a human tutor can be booked; none can in this build, so the chat never offers one",
    )


class DevTokenRequest(ApiInput):
    user: str = Field(
        min_length=1,
        max_length=64,
        # Any name a person types ("Maria Lopez"), as long as it has a letter or digit to make an id of.
        pattern=r"^[^\u0000-\u001f\u007f]*[A-Za-z0-9\u00c0-\uffff][^\u0000-\u001f\u007f]*$",
        description="the learner's name as they type it; the id is made from its letters and digits",
    )
    organization: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="an organisation's external id to sign in to (e.g. org_demo); none: the personal space",
    )
    role: Literal["admin", "tutor", "learner"] = Field(default="learner", description="the role in the organisation")


class DevToken(BaseModel):
    token: str
    user: str = Field(description="the learner's id: the name's letters and digits, other runs as '-'")
    display_name: str = Field(description="the name as the learner typed it, for the header")
    expires_in: int
