import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api, bearerToken } from "../api/client";
import { queryKeys } from "../api/queryKeys";

type Activity = "notes" | "review" | "flashcards";
const TICK_MS = 1000;
const REPORT_EVERY_S = 30;
// Without a key, a tap, a scroll or a pointer move for this long, the learner is not studying.
const IDLE_AFTER_MS = 2 * 60_000;

/** Counts the seconds a learner spends on a study screen (visible and not idle) and reports them
 *  with POST /v1/study-time, so study time is reading and reviewing too, not only quizzes. With a
 *  topic, reading its notes long enough marks it read: the course's progress. */
export function useStudyTimer(activity: Activity, options: { topicId?: string; courseId?: string; enabled?: boolean } = {}) {
  const { topicId, courseId, enabled = true } = options;
  const queryClient = useQueryClient();
  const pending = useRef(0);
  const lastActive = useRef(Date.now());

  useEffect(() => {
    if (!enabled) return;
    const active = () => {
      lastActive.current = Date.now();
    };
    const events = ["keydown", "pointerdown", "pointermove", "scroll", "touchstart", "wheel"] as const;
    events.forEach((e) => window.addEventListener(e, active, { passive: true }));

    const report = (keepalive: boolean) => {
      const seconds = Math.min(300, Math.floor(pending.current));
      if (seconds < 1) return;
      pending.current -= seconds;
      const body = { seconds, activity, topic_id: topicId ?? null };
      if (keepalive) {
        // The page is going away: a plain fetch that outlives it, with the same bearer token.
        void bearerToken().then((token) =>
          fetch("/v1/study-time", {
            method: "POST",
            keepalive: true,
            headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
            body: JSON.stringify(body),
          }).catch(() => undefined),
        );
        return;
      }
      void api.POST("/v1/study-time", { body }).then(({ data }) => {
        void queryClient.invalidateQueries({ queryKey: queryKeys.dashboard() });
        if (data?.topic_read && courseId) void queryClient.invalidateQueries({ queryKey: queryKeys.course(courseId) });
      });
    };
    const tick = setInterval(() => {
      if (document.visibilityState === "visible" && Date.now() - lastActive.current < IDLE_AFTER_MS) {
        pending.current += TICK_MS / 1000;
      }
      if (pending.current >= REPORT_EVERY_S) report(false);
    }, TICK_MS);
    const leaving = () => report(true);
    window.addEventListener("pagehide", leaving);
    return () => {
      clearInterval(tick);
      window.removeEventListener("pagehide", leaving);
      events.forEach((e) => window.removeEventListener(e, active));
      report(false);
    };
  }, [activity, topicId, courseId, enabled, queryClient]);
}
