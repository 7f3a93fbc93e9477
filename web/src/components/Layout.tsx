import { useQuery } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { NavLink, useLocation } from "react-router-dom";
import { api } from "../api/client";
import { isStreamUp, useLiveEvents } from "../api/liveEvents";
import { unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { useWorkspace } from "../api/workspace";
import { useSession } from "../auth/session";
import { reviewQueueQuery } from "../pages/GradingQueuePage";
import { DemoModeNotice } from "./DemoModeNotice";
import { LiveStatus } from "./LiveStatus";
import { ReadyToasts } from "./ReadyToasts";

const INBOX_POLL_MS = 30_000;

export function Layout({ children }: { children: ReactNode }) {
  const { user, signOut } = useSession();
  useLiveEvents();
  const location = useLocation();
  // On a phone the links fold behind one "Menu" button; choosing a page folds them again.
  // Remembered with the page it was opened on, so moving to another page shows it folded.
  const [menuOpenOn, setMenuOpenOn] = useState<string | null>(null);
  const menuOpen = menuOpenOn === location.pathname;
  const inbox = useQuery({
    queryKey: queryKeys.notifications(),
    queryFn: () => unwrap(api.GET("/v1/notifications", { params: { query: { limit: 50 } } })),
    // The event stream refreshes it; without the stream, "ready" toasts still arrive.
    refetchInterval: () => (isStreamUp() ? false : INBOX_POLL_MS),
  });
  const unread = inbox.data?.unread ?? 0;
  // Shown to whoever has answers to grade (a learner's tutor); nobody else sees the link.
  const toGrade = useQuery(reviewQueueQuery).data?.tasks.length ?? 0;
  // The active role picks the menu: a learner alone (no organisation) sees the personal app.
  const { role } = useWorkspace();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <NavLink to="/" className="brand">
          studyflow
        </NavLink>
        <button
          type="button"
          className="menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-menu"
          onClick={() => setMenuOpenOn(menuOpen ? null : location.pathname)}
        >
          Menu
          {unread > 0 && (
            <span className="count-badge" aria-hidden="true">
              {unread}
            </span>
          )}
        </button>
        <nav aria-label="Main" id="main-menu" className={menuOpen ? "open" : undefined}>
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          {role !== "admin" && (
            <>
              <NavLink to="/courses/new">New course</NavLink>
              <NavLink to="/sources">My material</NavLink>
            </>
          )}
          {role === "tutor" && <NavLink to="/learners">My learners</NavLink>}
          {role !== null && <NavLink to="/assignments">Assignments</NavLink>}
          {(role === "tutor" || role === "admin") && <NavLink to="/tutor/handoffs">Hand-offs</NavLink>}
          {role !== "admin" && <NavLink to="/sessions">Sessions</NavLink>}
          {role !== "tutor" && role !== "admin" && (
            <>
              <NavLink to="/chat">Ask a tutor</NavLink>
              <NavLink to="/review">Review</NavLink>
              <NavLink to="/goals">Goals</NavLink>
              <NavLink to="/weak-areas">Weak areas</NavLink>
              <NavLink to="/progress">My progress</NavLink>
            </>
          )}
          {role === "learner" && <NavLink to="/tutors">My tutors</NavLink>}
          {role === "admin" && <NavLink to="/organisation">Organisation</NavLink>}
          <NavLink to="/notifications">
            Notifications
            {unread > 0 && (
              <span className="count-badge" aria-label={`${unread} unread`}>
                {unread}
              </span>
            )}
          </NavLink>
          {(toGrade > 0 || role === "tutor") && (
            <NavLink to="/grading">
              To grade
              {toGrade > 0 && (
                <span className="count-badge" aria-label={`${toGrade} waiting`}>
                  {toGrade}
                </span>
              )}
            </NavLink>
          )}
          <NavLink to="/account">Account</NavLink>
        </nav>
        <div className="who">
          <LiveStatus />
          <span className="user-name">{user}</span>
          <button type="button" className="link-button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <DemoModeNotice />
        {children}
      </main>
      <ReadyToasts notifications={inbox.data?.items} />
    </>
  );
}
