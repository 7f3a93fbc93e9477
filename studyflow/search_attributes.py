"""Custom search attributes set on workflow starts, so operators can filter by learner or course in
the Temporal UI (`StudyflowUserId = "..."`). Production namespaces need them registered once:
`temporal operator search-attribute create --name StudyflowUserId --type Keyword` (same for course)."""

from __future__ import annotations

import uuid

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

USER_ID = SearchAttributeKey.for_keyword("StudyflowUserId")
COURSE_ID = SearchAttributeKey.for_keyword("StudyflowCourseId")
ALL = [USER_ID, COURSE_ID]


def for_course(user_id: uuid.UUID, course_id: uuid.UUID) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [SearchAttributePair(USER_ID, str(user_id)), SearchAttributePair(COURSE_ID, str(course_id))]
    )


def for_user(user_id: uuid.UUID) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(USER_ID, str(user_id))])
