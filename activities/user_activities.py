"""Activities of UserProvisioningWorkflow: apply Clerk user events to the users table, and its
organisation and membership events to organisations and memberships."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from activities.errors import ProviderEventInvalidError
from db.models import (
    ContentChunk,
    Course,
    FlashcardState,
    Goal,
    Notification,
    QuizAttempt,
    RemediationPlan,
    SubjectSuggestion,
    TopicMastery,
    User,
    WebhookEvent,
)
from services import clerk_organizations
from studyflow import search_attributes
from studyflow.contracts.activity_io import ClerkEventOutcome, UserRef, WebhookEventRef
from studyflow.contracts.provider_events import (
    CLERK_EVENTS,
    ClerkDeletedOrganization,
    ClerkMembership,
    ClerkOrganization,
    ClerkUser,
    clerk_event_data,
    reason_of,
)


class UserActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], client: Client):
        self._sessions = session_factory
        self._client = client

    @activity.defn
    async def apply_clerk_event(self, ref: WebhookEventRef) -> ClerkEventOutcome:
        async with self._sessions.begin() as session:
            event = await session.get(WebhookEvent, ref.event_row_id)
            if event is None:
                return ClerkEventOutcome(action="ignored")
            if event.event_type not in CLERK_EVENTS:
                return ClerkEventOutcome(action="ignored")
            payload = event.payload if isinstance(event.payload, dict) else {}
            try:
                # The API checked this before recording it; a row recorded before that check
                # existed (or written by hand) may still not fit, and no retry would change it.
                data = clerk_event_data(event.event_type, payload.get("data"))
            except ValidationError as exc:
                raise ProviderEventInvalidError(f"{event.event_type} {event.event_id}: {reason_of(exc)}") from None
            if isinstance(data, ClerkMembership):
                if event.event_type == "organizationMembership.deleted":
                    return ClerkEventOutcome(action=await clerk_organizations.remove_membership(session, data))
                return ClerkEventOutcome(action=await clerk_organizations.apply_membership(session, data))
            if isinstance(data, ClerkOrganization):
                return ClerkEventOutcome(action=await clerk_organizations.apply_organization(session, data))
            if isinstance(data, ClerkDeletedOrganization):
                return ClerkEventOutcome(action=await clerk_organizations.delete_organization(session, data.id))
            user = data
            clerk_id = user.id
            if isinstance(user, ClerkUser):
                email = user.primary_email
                # Upsert, but a deleted account stays deleted: a late or replayed update must
                # not bring its data back.
                statement = insert(User).values(clerk_id=clerk_id, email=email)
                statement = statement.on_conflict_do_update(
                    index_elements=["clerk_id"],
                    set_={"email": statement.excluded.email, "updated_at": func.now()},
                    where=User.deleted_at.is_(None),
                )
                await session.execute(statement)
                return ClerkEventOutcome(action="upserted")
            if event.event_type == "user.deleted":
                user_id = await session.scalar(
                    update(User)
                    .where(User.clerk_id == clerk_id)
                    .values(deleted_at=func.coalesce(User.deleted_at, func.now()), email=None)
                    .returning(User.id)
                )
                if user_id is None:  # never seen: remember the deletion so a late create can't revive it
                    user_id = await session.scalar(
                        insert(User).values(clerk_id=clerk_id, deleted_at=func.now()).returning(User.id)
                    )
                return ClerkEventOutcome(action="deleted", user_id=user_id)
        return ClerkEventOutcome(action="ignored")

    @activity.defn
    async def cancel_user_workflows(self, ref: UserRef) -> int:
        query = f'{search_attributes.USER_ID.name} = "{ref.user_id}" AND ExecutionStatus = "Running"'
        cancelled = 0
        async for execution in self._client.list_workflows(query):
            if execution.status != WorkflowExecutionStatus.RUNNING:
                continue
            try:
                await self._client.get_workflow_handle(execution.id, run_id=execution.run_id).cancel()
                cancelled += 1
            except RPCError:
                pass  # finished meanwhile
            activity.heartbeat(cancelled)
        return cancelled

    @activity.defn
    async def erase_user_data(self, ref: UserRef) -> None:
        """Remove everything the learner created; the users row stays as an anonymous tombstone."""
        async with self._sessions.begin() as session:
            for model, column in (
                (RemediationPlan, RemediationPlan.user_id),
                (QuizAttempt, QuizAttempt.user_id),
                (FlashcardState, FlashcardState.user_id),
                (TopicMastery, TopicMastery.user_id),
                (Notification, Notification.user_id),
                (ContentChunk, ContentChunk.owner_id),
                (SubjectSuggestion, SubjectSuggestion.user_id),
                (Goal, Goal.user_id),
            ):
                await session.execute(delete(model).where(column == ref.user_id))
            await session.execute(delete(Course).where(Course.owner_id == ref.user_id))
            await session.execute(
                update(User)
                .where(User.id == ref.user_id)
                .values(email=None, plan="free", subscription_status=None, streak_current=0, study_seconds=0)
            )
