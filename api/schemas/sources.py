from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from api.schemas.api_input import ApiInput
from studyflow.statuses import SourceStatus


class SourceUrlCreate(ApiInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: AnyHttpUrl = Field(description="a public web page (http or https)")

    @field_validator("url", mode="after")
    @classmethod
    def _bounded(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(url)) > 2000:
            raise ValueError("URL is longer than 2000 characters")
        return url


class SourceView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str = Field(description="pdf, markdown, text, html, url, docx or transcript")
    name: str = Field(description="the file name, or the page title of a URL")
    url: str | None
    status: SourceStatus = Field(description="processing, ready or failed")
    error: str | None = Field(description="why the source failed, written for the learner")
    size_bytes: int
    pages: int | None = Field(description="pages of a PDF (None for other kinds)")
    segments: int | None = Field(description="sections or transcript segments (None for a PDF)")
    skipped: int = Field(description="pages or segments left out because they could not be read in time")
    chunk_count: int
    workflow_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, source) -> SourceView:
        is_pdf = (source.format or source.kind) == "pdf"
        return cls(
            id=source.id,
            kind=source.kind,
            name=source.name,
            url=source.url,
            status=source.status,
            error=source.error,
            size_bytes=source.size_bytes,
            pages=source.units if is_pdf else None,
            segments=None if is_pdf else source.units,
            skipped=source.skipped_units,
            chunk_count=source.chunk_count,
            workflow_id=source.workflow_id,
            created_at=source.created_at,
        )


class SourceAccepted(SourceView):
    status_url: str


class SourceList(BaseModel):
    items: list[SourceView]
    total: int
    used_bytes: int = Field(description="storage taken by the learner's sources")
    storage_limit_bytes: int
    source_limit: int


class Citation(BaseModel):
    """Where a generated card or question comes from in the learner's material."""

    source_id: uuid.UUID
    chunk_id: uuid.UUID
    source_name: str
    locator: dict
    label: str = Field(description='e.g. "lecture-3.pdf, p. 12"')
