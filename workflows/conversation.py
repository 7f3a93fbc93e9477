from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

from studyflow.statuses import ConversationStatus

with workflow.unsafe.imports_passed_through():
    from activities.conversation_activities import ConversationActivities
    from studyflow.contracts.conversation_io import (
        AnswerRequest,
        AskInput,
        AssessInput,
        ConversationInput,
        ConversationRef,
        TutorReply,
    )
    from workflows.retry import execute_db_activity, execute_llm_activity

MAX_QUESTION_CHARS = 2000
# Runs that record this marker answer and judge in one activity (the judgement in the answer's
# transaction): one workflow step and one database transaction fewer per question.
ANSWER_AND_JUDGE = "tutor-answer-and-judge"


@workflow.defn
class ConversationWorkflow:
    """One tutor conversation. Each question is an Update answered when retrieval → LLM → persist
    and the tutor-routing judgement have run; answers are given one at a time, in order. No
    question for IDLE_TIMEOUT closes the run (the next question starts it again with the same
    id); after `questions_per_run` questions it continues as new, the history being in Postgres."""

    @workflow.init
    def __init__(self, data: ConversationInput) -> None:
        self._data = data
        self._asked = 0
        self._busy = 0
        self._turn = asyncio.Lock()

    @workflow.run
    async def run(self, data: ConversationInput) -> str:
        idle = timedelta(seconds=data.idle_timeout_seconds)
        while True:
            try:
                await workflow.wait_condition(self._asked_after(self._asked), timeout=idle)
            except TimeoutError:
                if self._busy == 0:
                    break
                continue
            if self._asked >= data.questions_per_run:
                await workflow.wait_condition(lambda: self._busy == 0 and workflow.all_handlers_finished())
                workflow.continue_as_new(data)
        await execute_db_activity(
            ConversationActivities.mark_conversation_idle, ConversationRef(conversation_id=data.conversation_id)
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ConversationStatus.idle

    def _asked_after(self, asked: int) -> Callable[[], bool]:
        """Whether a question came after the first `asked`."""
        return lambda: self._asked != asked

    @workflow.update
    async def ask(self, question: AskInput) -> TutorReply:
        self._asked += 1
        self._busy += 1
        try:
            async with self._turn:
                request = AnswerRequest(
                    conversation_id=self._data.conversation_id,
                    request_id=question.request_id,
                    question=question.question,
                )
                if workflow.patched(ANSWER_AND_JUDGE):
                    return await execute_llm_activity(
                        ConversationActivities.answer_and_judge, request, self._data.retry
                    )
                answer = await execute_llm_activity(ConversationActivities.answer_question, request, self._data.retry)
                judgement = await execute_db_activity(
                    ConversationActivities.assess_tutor_need,
                    AssessInput(conversation_id=self._data.conversation_id, request_id=question.request_id),
                )
        finally:
            self._busy -= 1
        return TutorReply(
            **answer.model_dump(),
            suggest_tutor=judgement.suggest_tutor,
            tutor_reason=judgement.reason,
            handoff_id=judgement.handoff_id,
        )

    @ask.validator
    def _check_question(self, question: AskInput) -> None:
        text = question.question.strip()
        if not text:
            raise ValueError("question is empty")
        if len(text) > MAX_QUESTION_CHARS:
            raise ValueError(f"question is longer than {MAX_QUESTION_CHARS} characters")
