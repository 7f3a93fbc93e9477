import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { NavLink } from "react-router-dom";
import { api } from "../api/client";
import { unwrap } from "../api/problem";
import { useLiveEvents } from "../api/liveEvents";
import { useSession } from "../auth/session";
import { reviewQueueQuery } from "../pages/GradingQueuePage";
import { DemoModeNotice } from "./DemoModeNotice";
import { LiveStatus } from "./LiveStatus";

export function Layout({ children }: { children: ReactNode }) {
  const { user, signOut } = useSession();
  useLiveEvents();
  const inbox = useQuery({
    queryKey: ["notifications"],
    queryFn: () => unwrap(api.GET("/v1/notifications", { params: { query: { limit: 50 } } })),
  });
  const unread = inbox.data?.unread ?? 0;
  // Shown to whoever has answers to grade (a learner's tutor); nobody else sees the link.
  const toGrade = useQuery(reviewQueueQuery).data?.tasks.length ?? 0;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <NavLink to="/" className="brand">
          studyflow
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/courses/new">New course</NavLink>
          <NavLink to="/sources">My material</NavLink>
          <NavLink to="/chat">Ask a tutor</NavLink>
          <NavLink to="/review">Review</NavLink>
          <NavLink to="/goals">Goals</NavLink>
          <NavLink to="/weak-areas">Weak areas</NavLink>
          <NavLink to="/notifications">
            Notifications
            {unread > 0 && (
              <span className="count-badge" aria-label={`${unread} unread`}>
                {unread}
              </span>
            )}
          </NavLink>
          {toGrade > 0 && (
            <NavLink to="/grading">
              To grade
              <span className="count-badge" aria-label={`${toGrade} waiting`}>
                {toGrade}
              </span>
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
    </>
  );
}
