import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router-dom";
import { Layout } from "./components/Layout";
import { Loading } from "./components/Loading";
import { NotFound } from "./components/NotFound";
import { AccountPage } from "./pages/AccountPage";
import { AssignmentPage } from "./pages/AssignmentPage";
import { AssignmentsPage } from "./pages/AssignmentsPage";
import { CoursePage } from "./pages/CoursePage";
import { DashboardPage } from "./pages/DashboardPage";
import { FlashcardsPage } from "./pages/FlashcardsPage";
import { GoalsPage } from "./pages/GoalsPage";
import { GradingQueuePage } from "./pages/GradingQueuePage";
import { HandoffInboxPage, HandoffPage } from "./pages/HandoffInboxPage";
import { InvitationPage } from "./pages/InvitationPage";
import { LearnerPage } from "./pages/LearnerPage";
import { MyLearnersPage } from "./pages/MyLearnersPage";
import { MyTutorsPage } from "./pages/MyTutorsPage";
import { OrganisationPage } from "./pages/OrganisationPage";
import { NewCoursePage } from "./pages/NewCoursePage";
import { NotificationsPage } from "./pages/NotificationsPage";
import { QuizPage } from "./pages/QuizPage";
import { RemediationPage } from "./pages/RemediationPage";
import { ReviewPage } from "./pages/ReviewPage";
import { SessionPage } from "./pages/SessionPage";
import { SessionsPage } from "./pages/SessionsPage";
import { SourcesPage } from "./pages/SourcesPage";
import { TutorChatListPage, TutorChatPage } from "./pages/TutorChatPage";
import { ProgressPage } from "./pages/ProgressPage";
import { WeakAreasPage } from "./pages/WeakAreasPage";

// Markdown and syntax highlighting are only needed once a learner opens notes.
const TopicPage = lazy(() => import("./pages/TopicPage"));

export function App() {
  return (
    <Layout>
      <Suspense fallback={<Loading what="the page" />}>
        <Routes>
          <Route path="/" element={<DashboardPage />} />
          <Route path="/courses/new" element={<NewCoursePage />} />
          <Route path="/sources" element={<SourcesPage />} />
          <Route path="/sessions" element={<SessionsPage />} />
          <Route path="/sessions/:sessionId" element={<SessionPage />} />
          <Route path="/chat" element={<TutorChatListPage />} />
          <Route path="/chat/:conversationId" element={<TutorChatPage />} />
          <Route path="/courses/:courseId" element={<CoursePage />} />
          <Route path="/topics/:topicId" element={<TopicPage />} />
          <Route path="/flashcards/:contentId" element={<FlashcardsPage />} />
          <Route path="/quizzes/:contentId" element={<QuizPage />} />
          <Route path="/review" element={<ReviewPage />} />
          <Route path="/goals" element={<GoalsPage />} />
          <Route path="/grading" element={<GradingQueuePage />} />
          <Route path="/remediation/:planId" element={<RemediationPage />} />
          <Route path="/weak-areas" element={<WeakAreasPage />} />
          <Route path="/progress" element={<ProgressPage />} />
          <Route path="/notifications" element={<NotificationsPage />} />
          <Route path="/account" element={<AccountPage />} />
          <Route path="/learners" element={<MyLearnersPage />} />
          <Route path="/learners/:learnerId" element={<LearnerPage />} />
          <Route path="/organisation" element={<OrganisationPage />} />
          <Route path="/tutors" element={<MyTutorsPage />} />
          <Route path="/invitations/:token" element={<InvitationPage />} />
          <Route path="/assignments" element={<AssignmentsPage />} />
          <Route path="/assignments/:assignmentId" element={<AssignmentPage />} />
          <Route path="/tutor/handoffs" element={<HandoffInboxPage />} />
          <Route path="/tutor/handoffs/:handoffId" element={<HandoffInboxPage />} />
          <Route path="/handoffs/:handoffId" element={<HandoffPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}
