"""Workflow type names, for the code that records and starts workflows without importing their
classes (services sit below the workflows layer). `@workflow.defn` without a name registers the
class name, so each constant is its class's name; tests/test_layers.py checks they agree."""

from __future__ import annotations

COURSE_GENERATION = "CourseGenerationWorkflow"
TOPIC_NOTES = "TopicNotesWorkflow"
STUDY_CONTENT = "StudyContentWorkflow"
REMEDIATION = "RemediationWorkflow"
USER_PROVISIONING = "UserProvisioningWorkflow"
SOURCE_INGESTION = "SourceIngestionWorkflow"
CONVERSATION = "ConversationWorkflow"
SUBJECT_SUGGESTIONS = "SubjectSuggestionsWorkflow"
ASSIGNMENT_FAN_OUT = "AssignmentFanOutWorkflow"
LEARNER_CONTEXT = "LearnerContextWorkflow"
ANALYTICS_ROLLUP = "AnalyticsRollupWorkflow"
SESSION_ANALYSIS = "SessionAnalysisWorkflow"
GRADING = "GradingWorkflow"

# Queries and updates the API sends by name.
COURSE_STAGE_QUERY = "stage"
CONVERSATION_ASK_UPDATE = "ask"
GRADING_REVIEW_UPDATE = "review"
