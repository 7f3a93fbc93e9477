from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.suggestion_activities import SuggestionActivities
    from studyflow.contracts.activity_io import GoalRef
    from studyflow.contracts.workflow_inputs import SubjectSuggestionsInput
    from workflows.activity_failures import describe_failure, is_subject_gone, raise_if_cancelled
    from workflows.retry import execute_db_activity, execute_llm_activity


@workflow.defn
class SubjectSuggestionsWorkflow:
    """Three next subjects for a met goal, announced in the inbox. One run per goal (its id is the
    goal's); when the model cannot answer, the suggestions come from the learner's history."""

    @workflow.run
    async def run(self, data: SubjectSuggestionsInput) -> str:
        ref = GoalRef(goal_id=data.goal_id)
        if data.llm_allowed:
            try:
                await execute_llm_activity(SuggestionActivities.suggest_subjects, ref, data.retry)
                return "suggested"
            except ActivityError as error:
                raise_if_cancelled(error)
                if is_subject_gone(error):
                    return "gone"
                workflow.logger.warning("suggestions from history: %s", describe_failure(error))
        await execute_db_activity(SuggestionActivities.suggest_from_history, ref)
        return "suggested_from_history"
