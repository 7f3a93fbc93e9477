"""Activities of the organisation's workflows: a group assignment's fan-out, and writing the
context a tutor reads before a session."""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.heartbeat import heartbeating
from activities.llm import prompts
from activities.llm.errors import LlmOutputInvalidError
from activities.llm.gateway import LlmGateway
from db.models import LearnerContext
from services.assignment_targets import fan_out
from services.learner_context import facts_of, template_summary
from studyflow.content_rules.output_checks import answer_problems, plain_reason
from studyflow.contracts.llm_drafts import LearnerContextDraft
from studyflow.contracts.workflow_inputs import AssignmentFanOutInput, LearnerContextInput
from studyflow.engines import EXTRACTIVE
from studyflow.local_day import today_in
from studyflow.settings import Settings

log = logging.getLogger("studyflow.organizations")
TEMPLATE = "template"


class OrganizationActivities:
    def __init__(self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], llm: LlmGateway):
        self._settings = settings
        self._sessions = session_factory
        self._llm = llm

    @activity.defn
    async def fan_out_assignment(self, data: AssignmentFanOutInput) -> int:
        """One batch of the group's members; the workflow calls again until none is left."""
        async with self._sessions.begin() as session:
            return await fan_out(session, data.assignment_id, data.batch_size)

    @activity.defn
    async def write_learner_context(self, data: LearnerContextInput) -> bool:
        """Writes the summary for the version the context row is at; True when newer evidence
        arrived meanwhile (write again). The LLM's call is keyed by that version: a retry after a
        crash reuses the paid reply."""
        async with self._sessions() as session:
            context = await session.scalar(
                select(LearnerContext).where(
                    LearnerContext.organization_id == data.organization_id,
                    LearnerContext.learner_id == data.learner_id,
                )
            )
            if context is None or context.generated_version >= context.version:
                return False
            version = context.version
            tz = self._settings.day_timezone
            facts = await facts_of(session, data.organization_id, data.learner_id, today=today_in(tz), tz=tz)
        summary, model = await self._summary(data, facts, version)
        async with self._sessions.begin() as session:
            written = await session.scalar(
                update(LearnerContext)
                .where(LearnerContext.id == context.id, LearnerContext.generated_version < version)
                .values(
                    summary=summary,
                    model=model,
                    facts={"lines": facts.as_lines()},
                    generated_version=version,
                    generated_at=func.now(),
                )
                .returning(LearnerContext.version)
            )
        return written is not None and written > version

    async def _summary(self, data: LearnerContextInput, facts, version: int) -> tuple[str, str]:
        if data.template_only or self._settings.engine(has_material=True) == EXTRACTIVE:
            return template_summary(facts), TEMPLATE
        prompt = prompts.learner_context(facts.as_lines(), few_shot=self._settings.llm_few_shot)
        try:
            async with heartbeating():
                result = await self._llm.generate(
                    prompt,
                    LearnerContextDraft,
                    subject_id=str(data.learner_id),
                    user_id=data.learner_id,
                    idempotency_key=f"learner-context:{data.organization_id}:{data.learner_id}:{version}",
                )
        except LlmOutputInvalidError as exc:
            log.info("learner context from the template: %s", exc)
            return template_summary(facts), TEMPLATE
        found = answer_problems(result.value.summary, prompts.reference_for(prompt, [facts.as_lines()]))
        if found:
            log.info("learner context from the template: %s", plain_reason(found))
            return template_summary(facts), TEMPLATE
        return result.value.summary, result.model
