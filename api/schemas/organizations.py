from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.api_input import ApiInput
from studyflow.statuses import AssignmentKind, AssignmentStatus, HandoffStatus, Role


class OrganizationCreate(ApiInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=200)


class OrganizationView(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    external_id: str = Field(description="the id session tokens name the organisation by (Clerk's, or org_<hex>)")
    active: bool = Field(description="the organisation this session is in")


class OrganizationList(BaseModel):
    organizations: list[OrganizationView]
    active_organization_id: uuid.UUID | None
    active_role: Role | None


class MemberView(BaseModel):
    user_id: uuid.UUID
    clerk_id: str
    name: str
    role: Role


class MemberList(BaseModel):
    members: list[MemberView]


class RoleChange(ApiInput):
    model_config = ConfigDict(extra="forbid")

    role: Role


class InvitationCreate(ApiInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Role = Role.learner
    note: str | None = Field(default=None, max_length=500)
    valid_days: int = Field(default=7, ge=1, le=30)


class InvitationIssued(BaseModel):
    id: uuid.UUID
    token: str = Field(description="shown once: only its hash is kept")
    accept_url: str
    role: Role
    links_to_tutor: bool
    expires_at: datetime


class InvitationPreview(BaseModel):
    organization_name: str
    role: Role
    tutor_name: str | None
    expires_at: datetime


class InvitationAccepted(BaseModel):
    organization_id: uuid.UUID
    external_id: str
    role: Role


class TutorLinkCreate(ApiInput):
    model_config = ConfigDict(extra="forbid")

    tutor_id: uuid.UUID
    learner_id: uuid.UUID


class TutorLinkView(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    tutor_id: uuid.UUID
    tutor_name: str
    learner_id: uuid.UUID
    learner_name: str
    can_see: list[str] = Field(description="what the tutor may see of the learner's data (never chat content)")


class TutorLinkList(BaseModel):
    links: list[TutorLinkView]


class GroupCreate(ApiInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)


class GroupMemberAdd(ApiInput):
    model_config = ConfigDict(extra="forbid")

    learner_id: uuid.UUID


class GroupMemberView(BaseModel):
    user_id: uuid.UUID
    name: str


class GroupView(BaseModel):
    id: uuid.UUID
    name: str
    created_by: uuid.UUID | None
    members: list[GroupMemberView]


class GroupList(BaseModel):
    groups: list[GroupView]


class AssignmentCreate(ApiInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: AssignmentKind
    course_id: uuid.UUID
    learner_id: uuid.UUID | None = Field(default=None, description="one learner, or:")
    group_id: uuid.UUID | None = Field(default=None, description="a group (every member, and who joins later)")
    due_date: date | None = None
    note: str | None = Field(default=None, max_length=1000)
    study_content_id: uuid.UUID | None = Field(default=None, description="a practice set of the course made before")


class AssignmentTargetView(BaseModel):
    learner_id: uuid.UUID
    learner_name: str
    status: AssignmentStatus
    score_pct: float | None
    completed_at: datetime | None
    overdue: bool


class AssignmentView(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    kind: AssignmentKind
    title: str
    course_id: uuid.UUID
    study_content_id: uuid.UUID | None
    learner_id: uuid.UUID | None
    group_id: uuid.UUID | None
    due_date: date | None
    note: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    my_status: AssignmentStatus | None = Field(default=None, description="the signed-in learner's own status")
    my_score_pct: float | None = None
    targets: list[AssignmentTargetView] | None = Field(default=None, description="per learner (its author, admins)")


class AssignmentList(BaseModel):
    assignments: list[AssignmentView]


class AssignmentOpened(BaseModel):
    assignment_id: uuid.UUID
    kind: AssignmentKind
    course_id: uuid.UUID
    study_content_id: uuid.UUID | None
    status: str = Field(description="the study content's status, or `ready` for a course")
    status_url: str


class CourseMastery(BaseModel):
    course_id: uuid.UUID
    course: str
    progress_pct: float
    mastery: float | None


class TutorLearnerView(BaseModel):
    id: uuid.UUID
    name: str
    last_active_date: date | None
    streak: int
    courses: list[CourseMastery]
    assignments_due: int
    assignments_overdue: int
    open_handoffs: int
    last_score: float | None
    at_risk: bool
    at_risk_reason: str | None


class TutorLearnerList(BaseModel):
    learners: list[TutorLearnerView]


class LearnerContextView(BaseModel):
    learner_id: uuid.UUID
    name: str
    summary: str | None = Field(description="written by a workflow from the facts; null until first written")
    summary_by: str | None = Field(description="the model that wrote it, or `template`")
    summary_written_at: datetime | None
    stale: bool = Field(description="new evidence arrived since it was written: it is being written again")
    profile: dict
    recent_sessions: list[dict]
    current_challenges: list[dict]
    recommended_focus: list[str]
    strengths: list[dict]
    practice_history: list[dict]
    open_assignments: list[dict]
    goals: list[dict] = Field(
        description="active goals first, then those met: the goal in words, status, due date, percent, state, pace"
    )


class HandoffSend(ApiInput):
    model_config = ConfigDict(extra="forbid")

    tutor_id: uuid.UUID | None = Field(default=None, description="needed only with several tutors")


class HandoffDecision(ApiInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: str = Field(pattern="^(accept|resolve|decline)$")
    note: str | None = Field(default=None, max_length=1000)


class HandoffView(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    learner_id: uuid.UUID
    learner_name: str | None = None
    reason: str
    summary: dict
    status: HandoffStatus
    tutor_id: uuid.UUID | None
    tutor_name: str | None = None
    tutor_note: str | None
    sent_at: datetime | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime


class HandoffList(BaseModel):
    handoffs: list[HandoffView]
