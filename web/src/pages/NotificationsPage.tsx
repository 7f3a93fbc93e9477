import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api } from "../api/client";
import { unwrap } from "../api/problem";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { queryKeys } from "../api/queryKeys";

export function NotificationsPage() {
  const queryClient = useQueryClient();
  const inbox = useQuery({
    queryKey: queryKeys.notifications(),
    queryFn: () => unwrap(api.GET("/v1/notifications", { params: { query: { limit: 50 } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.notifications() });
  const markRead = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/v1/notifications/{notification_id}/read", { params: { path: { notification_id: id } } })),
    onSuccess: refresh,
  });
  const markAll = useMutation({ mutationFn: () => unwrap(api.POST("/v1/notifications/read-all")), onSuccess: refresh });
  if (inbox.isPending) return <Loading what="your notifications" />;
  if (inbox.isError) return <ErrorNotice error={inbox.error} onRetry={() => inbox.refetch()} />;
  const { items, unread } = inbox.data;
  return (
    <section className="notifications">
      <div className="section-head">
        <h1>Notifications</h1>
        {unread > 0 && (
          <button type="button" onClick={() => markAll.mutate()} disabled={markAll.isPending}>
            Mark all read
          </button>
        )}
      </div>
      <p className="meta">{unread} unread</p>
      {items.length === 0 ? (
        <p className="empty">Nothing here yet: studyflow nudges you when it is time to study.</p>
      ) : (
        <ul className="inbox">
          {items.map((n) => (
            <li key={n.id} className={n.read_at ? "read" : "unread"}>
              <p>
                {n.message}
                {n.link && (
                  <>
                    {" "}
                    <Link to={n.link} onClick={() => !n.read_at && markRead.mutate(n.id)}>
                      Open
                    </Link>
                  </>
                )}
              </p>
              <p className="meta">
                {new Date(n.created_at).toLocaleString()}
                {!n.read_at && (
                  <>
                    {" · "}
                    <button type="button" className="link-button" onClick={() => markRead.mutate(n.id)}>
                      Mark read
                    </button>
                  </>
                )}
              </p>
            </li>
          ))}
        </ul>
      )}
      {(markRead.isError || markAll.isError) && <ErrorNotice error={markRead.error ?? markAll.error} />}
    </section>
  );
}
