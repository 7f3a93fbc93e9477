"""Analytics: a learner's improvement (the learner, their tutors, their organisation's admins) and
an organisation's overview (admins; a tutor sees their own learners), with a CSV export. Read from
the daily rollups plus the days not rolled yet (db/analytics/reads.py)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BeforeValidator

from api.deps import ClockDep, CurrentUserDep, SessionDep, SettingsDep
from api.openapi_errors import FORBIDDEN, NOT_FOUND
from api.schemas.analytics import LearnerImprovementView, OverviewView
from services import analytics
from studyflow.local_day import today_in

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: object) -> object:
    """`date` alone reads "0" as 1970-01-01 (a Unix time, found by the schema fuzzer): a day is
    asked for as YYYY-MM-DD, as the schema's `format: date` says."""
    if isinstance(value, str) and not ISO_DAY.fullmatch(value):
        raise ValueError("a day as YYYY-MM-DD")
    return value


FromDay = Annotated[
    date | None,
    BeforeValidator(_iso_day),
    Query(alias="from", description="first day (default: 29 days before `to`)"),
]
ToDay = Annotated[
    date | None,
    BeforeValidator(_iso_day),
    Query(alias="to", description="last day (default and at most: today, in DAY_TIMEZONE)"),
]


@router.get(
    "/learners/{learner_id}/improvement",
    response_model=LearnerImprovementView,
    responses={**NOT_FOUND, **FORBIDDEN},
)
async def learner_improvement(
    learner_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    first: FromDay = None,
    last: ToDay = None,
) -> LearnerImprovementView:
    period = analytics.window(settings, today_in(settings.day_timezone, clock()), first, last)
    found = await analytics.learner_improvement(session, settings, user, learner_id, period)
    return LearnerImprovementView.model_validate(found.__dict__)


@router.get("/me/improvement", response_model=LearnerImprovementView)
async def my_improvement(
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    first: FromDay = None,
    last: ToDay = None,
) -> LearnerImprovementView:
    """The signed-in learner's own improvement: the figures their tutor sees (the web app's "My
    progress"), without the learner needing their internal id."""
    return await learner_improvement(user.id, user, session, settings, clock, first, last)


async def _overview(session, settings, user, clock, organization_id, first, last, group, tutor):
    period = analytics.window(settings, today_in(settings.day_timezone, clock()), first, last)
    return await analytics.organization_overview(session, settings, user, organization_id, period, group, tutor)


@router.get(
    "/organizations/{organization_id}/overview",
    response_model=OverviewView,
    responses={**NOT_FOUND, **FORBIDDEN},
)
async def organization_overview(
    organization_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    first: FromDay = None,
    last: ToDay = None,
    group: uuid.UUID | None = Query(default=None, description="only this group's learners"),
    tutor: uuid.UUID | None = Query(default=None, description="only this tutor's learners (admins)"),
) -> OverviewView:
    found = await _overview(session, settings, user, clock, organization_id, first, last, group, tutor)
    return OverviewView.model_validate(found.__dict__)


@router.get(
    "/organizations/{organization_id}/overview.csv",
    response_class=Response,
    responses={**NOT_FOUND, **FORBIDDEN, 200: {"content": {"text/csv": {}}, "description": "figure,value rows"}},
)
async def organization_overview_csv(
    organization_id: uuid.UUID,
    user: CurrentUserDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    first: FromDay = None,
    last: ToDay = None,
    group: uuid.UUID | None = Query(default=None, description="only this group's learners"),
    tutor: uuid.UUID | None = Query(default=None, description="only this tutor's learners (admins)"),
) -> Response:
    found = await _overview(session, settings, user, clock, organization_id, first, last, group, tutor)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("figure", "value"))
    for name, value in analytics.overview_rows(found):
        writer.writerow((name, "" if value is None else value))
    filename = f"overview-{found.first}-{found.last}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
