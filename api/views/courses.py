"""A course admitted, as the API answers it."""

from __future__ import annotations

from api.schemas.courses import CourseAccepted
from services.courses import CourseAdmitted
from studyflow.statuses import CourseStatus


def course_accepted(admitted: CourseAdmitted) -> CourseAccepted:
    return CourseAccepted(
        course_id=admitted.course_id,
        workflow_id=admitted.workflow_id,
        status=CourseStatus.generating,
        status_url=f"/v1/courses/{admitted.course_id}",
    )
