from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

from studyflow.statuses import GenerationStatus

with workflow.unsafe.imports_passed_through():
    from activities.study_content_activities import StudyContentActivities
    from studyflow.contracts.activity_io import (
        ContentRef,
        GenerateStudyContentInput,
        ServeCachedInput,
    )
    from studyflow.contracts.workflow_inputs import StudyContentInput
    from workflows.activity_failures import (
        CANCELLED,
        cleaning_up_on_cancel,
        describe_failure,
        is_subject_gone,
        raise_if_cancelled,
        record_failure,
    )
    from workflows.retry import execute_db_activity, execute_llm_activity


@workflow.defn
class StudyContentWorkflow:
    """Flashcards or a quiz: semantic cache → retrieval → LLM → validate → persist → cache store.
    A near-hit from the cache is served only when the LLM has failed on every attempt."""

    def __init__(self) -> None:
        self._stage = "starting"

    @workflow.query
    def stage(self) -> str:
        return self._stage

    @workflow.run
    async def run(self, data: StudyContentInput) -> str:
        return await cleaning_up_on_cancel(self._generate(data), lambda: self._fail(data, CANCELLED))

    async def _generate(self, data: StudyContentInput) -> str:
        ref = ContentRef(content_id=data.content_id)
        try:
            begun = await execute_db_activity(StudyContentActivities.begin_study_content, ref)
            if begun.already_completed:
                return GenerationStatus.completed
            self._stage = "cache"
            cached = await execute_db_activity(StudyContentActivities.lookup_cache, ref)
            if cached.hit_entry_id is not None:
                await execute_db_activity(
                    StudyContentActivities.serve_cached,
                    ServeCachedInput(
                        content_id=data.content_id,
                        entry_id=cached.hit_entry_id,
                        served_from=f"cache_{cached.hit_tier}",
                        similarity=cached.similarity,
                    ),
                )
                return GenerationStatus.completed
            self._stage = "retrieval"
            context = await execute_db_activity(StudyContentActivities.retrieve_context, ref)
        except ActivityError as error:
            raise_if_cancelled(error)
            return "gone" if is_subject_gone(error) else await self._fail(data, describe_failure(error))

        self._stage = "generating"
        try:
            await execute_llm_activity(
                StudyContentActivities.generate_study_content,
                GenerateStudyContentInput(content_id=data.content_id, chunk_ids=context.chunk_ids),
                data.retry,
            )
        except ActivityError as error:
            raise_if_cancelled(error)
            if is_subject_gone(error):
                return "gone"
            llm_error = describe_failure(error)
            if cached.near_entry_id is None:
                return await self._fail(data, llm_error)
            await execute_db_activity(
                StudyContentActivities.serve_cached,
                ServeCachedInput(
                    content_id=data.content_id,
                    entry_id=cached.near_entry_id,
                    served_from="near_hit_fallback",
                    similarity=cached.similarity,
                    llm_error=llm_error,
                ),
            )
            return GenerationStatus.completed

        self._stage = "caching"
        try:
            await execute_db_activity(StudyContentActivities.store_in_cache, ref)
        except ActivityError as error:
            raise_if_cancelled(error)
            # The learner has the content; a missed cache store only costs a future LLM call.
            workflow.logger.warning("cache store failed: %s", describe_failure(error))
        return GenerationStatus.completed

    async def _fail(self, data: StudyContentInput, error: str) -> str:
        self._stage = "failed"
        return await record_failure(StudyContentActivities.mark_study_content_failed, data.content_id, error)
