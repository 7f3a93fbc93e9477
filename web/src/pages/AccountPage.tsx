import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { useConfig } from "../api/config";
import { unwrap } from "../api/problem";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { queryKeys } from "../api/queryKeys";

export function AccountPage() {
  // An upgrade is offered only where one can be bought (billing configured).
  const billing = useConfig().data?.billing ?? false;
  const me = useQuery({ queryKey: queryKeys.me(), queryFn: () => unwrap(api.GET("/v1/me")) });
  const upgrade = useMutation({
    mutationFn: () => unwrap(api.POST("/v1/billing/checkout")),
    onSuccess: (checkout) => window.location.assign(checkout.url),
  });
  if (me.isPending) return <Loading what="your account" />;
  if (me.isError) return <ErrorNotice error={me.error} onRetry={() => me.refetch()} />;
  const m = me.data;
  return (
    <section className="account">
      <h1>Account</h1>
      <dl className="stats">
        <div className="stat">
          <dt>Signed in as</dt>
          <dd>{m.email ?? m.id}</dd>
        </div>
        <div className="stat">
          <dt>Plan</dt>
          <dd>
            {m.plan}
            {m.subscription_status && ` (${m.subscription_status})`}
          </dd>
        </div>
      </dl>
      <h2>Today</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">What</th>
            <th scope="col">Used</th>
            <th scope="col">Daily limit</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>New courses</td>
            <td>{m.usage_today.courses}</td>
            <td>{m.limits.courses_per_day}</td>
          </tr>
          <tr>
            <td>Flashcard sets and quizzes</td>
            <td>{m.usage_today.study_content}</td>
            <td>{m.limits.study_content_per_day}</td>
          </tr>
        </tbody>
      </table>
      <p className="meta">
        Generation requests: bursts of {m.limits.generation_burst}, then {m.limits.generation_per_minute} per minute.
      </p>
      {m.plan !== "pro" && billing && (
        <>
          <button type="button" onClick={() => upgrade.mutate()} disabled={upgrade.isPending}>
            {upgrade.isPending ? "Opening checkout…" : "Upgrade to Pro"}
          </button>
          {upgrade.isError && <ErrorNotice error={upgrade.error} />}
        </>
      )}
    </section>
  );
}
