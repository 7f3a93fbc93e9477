"""All tables; importing this package registers them on `Base.metadata` (Alembic relies on it)."""

from db.models.analytics import (
    AnalyticsDirtyDay,
    AnalyticsLearnerDay,
    AnalyticsLiveGap,
    AnalyticsLiveStart,
    AnalyticsOrgDay,
    AnalyticsRollup,
    LearnerActiveDay,
    MasteryCrossing,
)
from db.models.assignments import Assignment, AssignmentTarget
from db.models.base import EMBEDDING_DIMENSIONS, Base
from db.models.billing import Payment, Subscription, WebhookEvent
from db.models.conversations import Conversation, ConversationMessage, TutorHandoff
from db.models.courses import Course, Topic
from db.models.goals import Goal, SubjectSuggestion
from db.models.grading import GradingLabel, GradingReview
from db.models.learner_context import LearnerContext
from db.models.llm_calls import LlmCall
from db.models.llm_spend import LlmMonthlySpend
from db.models.notifications import Notification
from db.models.organizations import Group, GroupMember, Invitation, Membership, Organization, TutorLink
from db.models.rate_limits import RateLimitBucket
from db.models.retrieval import ContentChunk, SemanticCacheEntry
from db.models.sessions import (
    MasteryEvidence,
    SessionAnalysis,
    SessionConcept,
    SessionWindowInsight,
    TutoringSession,
)
from db.models.sources import CourseSource, Source
from db.models.study import (
    FlashcardReview,
    FlashcardState,
    QuizAttempt,
    RemediationPlan,
    StudyContent,
    TopicMastery,
)
from db.models.study_time import StudyTime
from db.models.users import User
from db.models.workflow_outbox import WorkflowStart

__all__ = [
    "AnalyticsDirtyDay",
    "AnalyticsLearnerDay",
    "AnalyticsLiveGap",
    "AnalyticsLiveStart",
    "AnalyticsOrgDay",
    "AnalyticsRollup",
    "LearnerActiveDay",
    "MasteryCrossing",
    "MasteryEvidence",
    "SessionAnalysis",
    "SessionConcept",
    "SessionWindowInsight",
    "TutoringSession",
    "TutorLink",
    "Organization",
    "Membership",
    "Invitation",
    "GroupMember",
    "Group",
    "LearnerContext",
    "AssignmentTarget",
    "Assignment",
    "EMBEDDING_DIMENSIONS",
    "Base",
    "ContentChunk",
    "Conversation",
    "ConversationMessage",
    "Course",
    "CourseSource",
    "FlashcardReview",
    "FlashcardState",
    "Goal",
    "GradingLabel",
    "GradingReview",
    "LlmCall",
    "LlmMonthlySpend",
    "Notification",
    "Payment",
    "RateLimitBucket",
    "QuizAttempt",
    "RemediationPlan",
    "SemanticCacheEntry",
    "Source",
    "StudyContent",
    "StudyTime",
    "SubjectSuggestion",
    "Subscription",
    "Topic",
    "TopicMastery",
    "TutorHandoff",
    "User",
    "WorkflowStart",
    "WebhookEvent",
]
