from __future__ import annotations

from fastapi import APIRouter

from api.deps import AdmissionDep
from api.openapi_errors import NOT_FOUND
from api.schemas.study_time import StudyTimeCounted, StudyTimeReport
from services import study_time

router = APIRouter(prefix="/v1/study-time", tags=["study time"])


@router.post("", response_model=StudyTimeCounted, responses=NOT_FOUND)
async def report_study_time(body: StudyTimeReport, admission: AdmissionDep) -> StudyTimeCounted:
    """Seconds spent reading notes, browsing cards or reviewing, reported by the app as they pass."""
    counted = await study_time.report(admission, body.seconds, body.activity, body.topic_id)
    return StudyTimeCounted(
        counted_seconds=counted.counted_seconds, study_seconds=counted.study_seconds, topic_read=counted.topic_read
    )
