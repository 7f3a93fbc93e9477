from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tutor_digest_activities import TutorDigestActivities
    from studyflow.contracts.activity_io import DigestBatch, DigestPage
    from studyflow.contracts.workflow_inputs import TutorDigestInput
    from workflows.retry import DB_RETRY, execute_db_activity


@workflow.defn
class TutorDigestWorkflow:
    """Weekly: every tutor with linked learners gets one digest of the past seven days (learners
    at risk, overdue assignments, misconceptions their sessions showed). Pages through tutors and
    continues as new after a bounded number of batches, like the daily nudges."""

    @workflow.run
    async def run(self, data: TutorDigestInput) -> int:
        sent, cursor, day = data.sent_so_far, data.after_tutor_id, data.day
        for _ in range(data.batches_per_run):
            selection = await execute_db_activity(
                TutorDigestActivities.select_digest_tutors,
                DigestPage(
                    day=day, now=workflow.now(), timezone=data.timezone, after_tutor_id=cursor, limit=data.batch_size
                ),
            )
            day = selection.day
            if not selection.tutor_ids:
                return sent
            sent += await workflow.execute_activity_method(
                TutorDigestActivities.send_tutor_digests,
                DigestBatch(day=day, tutor_ids=selection.tutor_ids, inactive_days=data.inactive_days),
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=DB_RETRY,
            )
            cursor = selection.tutor_ids[-1]
        workflow.continue_as_new(data.model_copy(update={"day": day, "after_tutor_id": cursor, "sent_so_far": sent}))
