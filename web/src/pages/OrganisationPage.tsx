import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type Schemas } from "../api/client";
import { downloadFile } from "../api/download";
import { unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { useWorkspace } from "../api/workspace";
import { ErrorNotice } from "../components/ErrorNotice";
import { InviteForm } from "../components/InviteForm";
import { Loading } from "../components/Loading";

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function rate(value: number | null | undefined): string {
  return value == null ? "—" : `${Math.round(value * 100)}%`;
}

/** The admin's view of the organisation: its figures over a period (optionally one group's) and its
 * members. A tutor gets the figures of their own learners, as the API allows. */
export function OrganisationPage() {
  const { organizationId, organizationName, role, query } = useWorkspace();
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - 29 * 86_400_000)));
  const [to, setTo] = useState(isoDay(today));
  const [group, setGroup] = useState("");
  const orgId = organizationId ?? "";
  const range = { from: from || undefined, to: to || undefined, group: group || undefined };
  const overview = useQuery({
    queryKey: queryKeys.overview(orgId, from, to, group),
    queryFn: () =>
      unwrap(
        api.GET("/v1/analytics/organizations/{organization_id}/overview", {
          params: { path: { organization_id: orgId }, query: range },
        }),
      ),
    enabled: orgId !== "",
  });
  const groups = useQuery({
    queryKey: queryKeys.groups(orgId),
    queryFn: () => unwrap(api.GET("/v1/organizations/{organization_id}/groups", { params: { path: { organization_id: orgId } } })),
    enabled: orgId !== "",
  });
  const download = useMutation({
    mutationFn: () => {
      const search = new URLSearchParams(Object.entries(range).filter((e): e is [string, string] => !!e[1]));
      return downloadFile(`/v1/analytics/organizations/${orgId}/overview.csv?${search}`, `overview-${from}-${to}.csv`);
    },
  });
  if (query.isPending) return <Loading what="your organisation" />;
  if (query.isError) return <ErrorNotice error={query.error} onRetry={() => query.refetch()} />;
  if (!organizationId) return <p className="empty">You are not in an organisation.</p>;
  return (
    <section className="organisation">
      <h1>{organizationName ?? "Organisation"}</h1>
      <form className="inline-form" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="overview-from">From</label>
        <input id="overview-from" type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
        <label htmlFor="overview-to">To</label>
        <input id="overview-to" type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
        {(groups.data?.groups.length ?? 0) > 0 && (
          <>
            <label htmlFor="overview-group">Group</label>
            <select id="overview-group" value={group} onChange={(e) => setGroup(e.target.value)}>
              <option value="">Everyone</option>
              {groups.data?.groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </>
        )}
        <button type="button" onClick={() => download.mutate()} disabled={download.isPending}>
          Download CSV
        </button>
      </form>
      {download.isError && <ErrorNotice error={download.error} />}
      {overview.isPending ? (
        <Loading what="the figures" />
      ) : overview.isError ? (
        <ErrorNotice error={overview.error} onRetry={() => overview.refetch()} />
      ) : (
        <Overview figures={overview.data} />
      )}
      {role === "admin" && (
        <>
          <Members organizationId={organizationId} />
          <InviteForm organizationId={organizationId} roles={["learner", "tutor", "admin"]} />
        </>
      )}
    </section>
  );
}

function Overview({ figures: f }: { figures: Schemas["OverviewView"] }) {
  const shown: [string, string | number][] = [
    ["Learners", f.learners],
    ["Active today", f.dau],
    ["Active this week", f.wau],
    ["Active this month", f.mau],
    ["Sessions", f.sessions],
    ["Sessions per learner", f.sessions_per_learner == null ? "—" : f.sessions_per_learner.toFixed(1)],
    ["Practice completed on time", `${rate(f.practice_completion_rate)} (${f.practice_on_time} of ${f.practice_due})`],
    ["Churned", `${f.churned} (${rate(f.churn_rate)})`],
    ["Goals met", `${rate(f.goal_completion_rate)} (${f.goals_met} of ${f.goals_due})`],
    ["Suggestions accepted", `${rate(f.suggestion_acceptance_rate)} (${f.suggestions_accepted} of ${f.suggestions_offered})`],
    ["Hand-offs accepted", `${f.handoffs_accepted} of ${f.handoffs_sent}`],
    ["LLM spend per learner", f.llm_cost_per_learner_usd == null ? "—" : `$${f.llm_cost_per_learner_usd.toFixed(2)}`],
  ];
  return (
    <>
      <p className="meta">
        {f.first} to {f.last}
        {f.segment !== "all" && ` · ${f.segment === "tutor" ? "your learners" : "one group"}`}
        {f.not_rolled > 0 && ` · ${f.not_rolled} days not rolled up yet`}
      </p>
      <dl className="stats">
        {shown.map(([label, value]) => (
          <div className="stat" key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {f.nudges.length > 0 && (
        <table>
          <caption>Nudges</caption>
          <thead>
            <tr>
              <th scope="col">Why</th>
              <th scope="col">Nudged</th>
              <th scope="col">Came back within 48 h</th>
              <th scope="col">Against those not nudged</th>
            </tr>
          </thead>
          <tbody>
            {f.nudges.map((n) => (
              <tr key={n.reason}>
                <td>{n.reason}</td>
                <td>{n.nudged}</td>
                <td>{rate(n.return_rate)}</td>
                <td>{n.lift == null ? "—" : `${n.lift > 0 ? "+" : ""}${Math.round(n.lift * 100)} points`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Members with their roles; an admin links a learner to a tutor here. */
function Members({ organizationId }: { organizationId: string }) {
  const queryClient = useQueryClient();
  const members = useQuery({
    queryKey: queryKeys.members(organizationId),
    queryFn: () =>
      unwrap(api.GET("/v1/organizations/{organization_id}/members", { params: { path: { organization_id: organizationId } } })),
  });
  const [tutor, setTutor] = useState("");
  const [learner, setLearner] = useState("");
  const link = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{organization_id}/tutor-links", {
          params: { path: { organization_id: organizationId } },
          body: { tutor_id: tutor, learner_id: learner },
        }),
      ),
    onSuccess: () => {
      setLearner("");
      void queryClient.invalidateQueries({ queryKey: ["overview"] });
    },
  });
  if (members.isPending) return <Loading what="the members" />;
  if (members.isError) return <ErrorNotice error={members.error} onRetry={() => members.refetch()} />;
  const list = members.data.members;
  const tutors = list.filter((m) => m.role === "tutor");
  const learners = list.filter((m) => m.role === "learner");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (tutor && learner) link.mutate();
  };
  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
          </tr>
        </thead>
        <tbody>
          {list.map((m) => (
            <tr key={m.user_id}>
              <td>{m.name}</td>
              <td>{m.role}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {tutors.length > 0 && learners.length > 0 && (
        <form onSubmit={submit} className="inline-form">
          <label htmlFor="link-learner">Link learner</label>
          <select id="link-learner" value={learner} onChange={(e) => setLearner(e.target.value)}>
            <option value="">Choose…</option>
            {learners.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name}
              </option>
            ))}
          </select>
          <label htmlFor="link-tutor">to tutor</label>
          <select id="link-tutor" value={tutor} onChange={(e) => setTutor(e.target.value)}>
            <option value="">Choose…</option>
            {tutors.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name}
              </option>
            ))}
          </select>
          <button type="submit" disabled={!tutor || !learner || link.isPending}>
            Link
          </button>
          {link.isSuccess && <span role="status">Linked.</span>}
        </form>
      )}
      {link.isError && <ErrorNotice error={link.error} />}
    </section>
  );
}
