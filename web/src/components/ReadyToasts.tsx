import { useEffect, useRef, useState } from "react";
import { Link, useLocation } from "react-router-dom";
import type { Schemas } from "../api/client";

type Notification = Schemas["NotificationView"];
const SHOW_MS = 12_000;

/** "Your quiz is ready" while the learner is on another screen: a toast for each ready
 *  announcement that arrives after the app opened (older ones are in the inbox), unless the
 *  learner is already looking at the thing that became ready. */
export function ReadyToasts({ notifications }: { notifications: Notification[] | undefined }) {
  const location = useLocation();
  const seen = useRef<Set<string> | null>(null);
  const [toasts, setToasts] = useState<Notification[]>([]);

  useEffect(() => {
    if (!notifications) return;
    if (seen.current === null) {
      seen.current = new Set(notifications.map((n) => n.id)); // what was there before: the inbox's
      return;
    }
    const fresh = notifications.filter((n) => !seen.current!.has(n.id));
    fresh.forEach((n) => seen.current!.add(n.id));
    const shown = fresh.filter((n) => n.kind === "ready" && !n.read_at && n.link !== location.pathname);
    if (shown.length > 0) setToasts((current) => [...current, ...shown].slice(-3));
  }, [notifications, location.pathname]);

  useEffect(() => {
    if (toasts.length === 0) return;
    const timer = setTimeout(() => setToasts((current) => current.slice(1)), SHOW_MS);
    return () => clearTimeout(timer);
  }, [toasts]);

  const dismiss = (id: string) => setToasts((current) => current.filter((t) => t.id !== id));
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((toast) => (
        <div key={toast.id} className="toast">
          <p>{toast.message}</p>
          {toast.link && (
            <Link to={toast.link} onClick={() => dismiss(toast.id)}>
              Open it
            </Link>
          )}{" "}
          <button type="button" className="link-button" onClick={() => dismiss(toast.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
