/**
 * Every query key in one place: pages read with them and the event stream (liveEvents.ts)
 * invalidates with them, so a screen and the event that should refresh it cannot drift apart.
 */
export const queryKeys = {
  config: () => ["config"] as const,
  dashboard: () => ["dashboard"] as const,
  courses: () => ["courses"] as const,
  course: (courseId: string | null) => ["course", courseId] as const,
  courseEstimates: (courseId: string) => ["course", courseId, "estimates"] as const,
  topic: (topicId: string) => ["topic", topicId] as const,
  studyContent: (contentId: string) => ["study-content", contentId] as const,
  remediation: (planId: string) => ["remediation", planId] as const,
  weakAreas: () => ["weak-areas"] as const,
  notifications: () => ["notifications"] as const,
  sources: () => ["sources"] as const,
  dueCards: () => ["due-cards"] as const,
  goals: () => ["goals"] as const,
  suggestions: () => ["suggestions"] as const,
  me: () => ["me"] as const,
  conversations: () => ["conversations"] as const,
  conversation: (conversationId: string) => ["conversation", conversationId] as const,
  handoff: (handoffId: string) => ["handoff", handoffId] as const,
  sessions: (learnerId: string | null) => ["sessions", learnerId] as const,
  session: (sessionId: string) => ["session", sessionId] as const,
  organizations: () => ["organizations"] as const,
  tutorLearners: () => ["tutor-learners"] as const,
  learnerContext: (learnerId: string) => ["learner-context", learnerId] as const,
  improvement: (learnerId: string) => ["improvement", learnerId] as const,
  handoffs: () => ["tutor-handoffs"] as const,
  overview: (organizationId: string, from: string, to: string, group: string) =>
    ["overview", organizationId, from, to, group] as const,
  members: (organizationId: string) => ["members", organizationId] as const,
  groups: (organizationId: string) => ["groups", organizationId] as const,
  myTutors: () => ["my-tutors"] as const,
  invitation: (token: string) => ["invitation", token] as const,
  assignments: () => ["assignments"] as const,
  assignment: (assignmentId: string) => ["assignment", assignmentId] as const,
};
