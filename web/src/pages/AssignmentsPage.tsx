import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { useWorkspace } from "../api/workspace";
import { courseName } from "../components/courseName";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";

type Assignment = Schemas["AssignmentView"];
type Kind = Schemas["AssignmentKind"];

const KINDS: [Kind, string][] = [
  ["quiz", "A quiz"],
  ["flashcards", "Flashcards"],
  ["course", "The whole course"],
];

export function dueText(assignment: Assignment): string {
  return assignment.due_date ? `due ${new Date(`${assignment.due_date}T00:00`).toLocaleDateString()}` : "no due date";
}

/** A tutor's or admin's groups, the form to give work to a group or one learner, and what they
 *  gave; a learner's own assignments. */
export function AssignmentsPage() {
  const { role, organizationId, query } = useWorkspace();
  const assignments = useQuery({ queryKey: queryKeys.assignments(), queryFn: () => unwrap(api.GET("/v1/assignments")) });
  if (query.isPending) return <Loading what="your organisation" />;
  if (!organizationId) return <p className="empty">Assignments are given within an organisation.</p>;
  const gives = role === "tutor" || role === "admin";
  return (
    <section className="assignments">
      <h1>Assignments</h1>
      {gives && (
        <>
          <Groups organizationId={organizationId} />
          <AssignForm organizationId={organizationId} />
        </>
      )}
      <section aria-labelledby="given-heading">
        <h2 id="given-heading">{gives ? "Given" : "Yours"}</h2>
        {assignments.isPending ? (
          <Loading what="the assignments" />
        ) : assignments.isError ? (
          <ErrorNotice error={assignments.error} onRetry={() => assignments.refetch()} />
        ) : assignments.data.assignments.length === 0 ? (
          <p className="empty">No assignment yet.</p>
        ) : (
          <ul className="assignment-list">
            {assignments.data.assignments.map((a) => (
              <li key={a.id}>
                <Link to={`/assignments/${a.id}`}>{a.title}</Link>
                <span className="meta">
                  {" "}
                  · {dueText(a)}
                  {a.my_status && ` · ${a.my_status}`}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}

function useLearners() {
  return useQuery({ queryKey: queryKeys.tutorLearners(), queryFn: () => unwrap(api.GET("/v1/tutor/learners")) });
}

function useGroups(organizationId: string) {
  return useQuery({
    queryKey: queryKeys.groups(organizationId),
    queryFn: () => unwrap(api.GET("/v1/organizations/{organization_id}/groups", { params: { path: { organization_id: organizationId } } })),
  });
}

/** Groups with their members. A tutor groups learners linked to them; an admin, any learner. */
function Groups({ organizationId }: { organizationId: string }) {
  const queryClient = useQueryClient();
  const groups = useGroups(organizationId);
  const learners = useLearners();
  const [name, setName] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.groups(organizationId) });
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{organization_id}/groups", {
          params: { path: { organization_id: organizationId } },
          body: { name },
        }),
      ),
    onSuccess: () => {
      setName("");
      void refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) create.mutate();
  };
  return (
    <section aria-labelledby="groups-heading">
      <h2 id="groups-heading">Groups</h2>
      {groups.isPending ? (
        <Loading what="the groups" />
      ) : groups.isError ? (
        <ErrorNotice error={groups.error} onRetry={() => groups.refetch()} />
      ) : groups.data.groups.length === 0 ? (
        <p className="empty">No group yet.</p>
      ) : (
        <ul className="group-list">
          {groups.data.groups.map((g) => (
            <GroupItem key={g.id} group={g} learners={learners.data?.learners ?? []} onChange={refresh} />
          ))}
        </ul>
      )}
      <form onSubmit={submit} className="inline-form">
        <label htmlFor="group-name">New group</label>
        <input id="group-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={!name.trim() || create.isPending}>
          Create group
        </button>
      </form>
      {create.isError && <ErrorNotice error={create.error} />}
    </section>
  );
}

function GroupItem(props: {
  group: Schemas["GroupView"];
  learners: Schemas["TutorLearnerView"][];
  onChange: () => void;
}) {
  const { group, learners, onChange } = props;
  const [learner, setLearner] = useState("");
  const inGroup = new Set(group.members.map((m) => m.user_id));
  const addable = learners.filter((l) => !inGroup.has(l.id));
  const add = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/v1/groups/{group_id}/members", { params: { path: { group_id: group.id } }, body: { learner_id: learner } })),
    onSuccess: () => {
      setLearner("");
      onChange();
    },
  });
  const fieldId = `add-to-${group.id}`;
  return (
    <li>
      <h3>{group.name}</h3>
      <p className="meta">{group.members.length === 0 ? "Nobody yet." : group.members.map((m) => m.name).join(", ")}</p>
      {addable.length > 0 && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (learner) add.mutate();
          }}
        >
          <label htmlFor={fieldId}>Add a learner to {group.name}</label>
          <select id={fieldId} value={learner} onChange={(e) => setLearner(e.target.value)}>
            <option value="">Choose…</option>
            {addable.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
          <button type="submit" disabled={!learner || add.isPending}>
            Add
          </button>
        </form>
      )}
      {add.isError && <ErrorNotice error={add.error} />}
    </li>
  );
}

/** Work from one of the giver's own courses, for a group (its members now and who joins later) or
 *  for one learner. */
function AssignForm({ organizationId }: { organizationId: string }) {
  const queryClient = useQueryClient();
  const courses = useQuery({ queryKey: queryKeys.courses(), queryFn: () => unwrap(api.GET("/v1/courses")) });
  const groups = useGroups(organizationId);
  const learners = useLearners();
  const [kind, setKind] = useState<Kind>("quiz");
  const [courseId, setCourseId] = useState("");
  const [to, setTo] = useState("");
  const [due, setDue] = useState("");
  const [note, setNote] = useState("");
  const assign = useMutation({
    mutationFn: () => {
      const [what, id] = to.split(":");
      return unwrap(
        api.POST("/v1/assignments", {
          body: {
            kind,
            course_id: courseId,
            group_id: what === "group" ? id : null,
            learner_id: what === "learner" ? id : null,
            due_date: due || null,
            note: note || null,
          },
        }),
      );
    },
    onSuccess: () => {
      setNote("");
      void queryClient.invalidateQueries({ queryKey: queryKeys.assignments() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.tutorLearners() });
    },
  });
  const ready = (courses.data?.items ?? []).filter((c) => c.status === "ready");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (courseId && to) assign.mutate();
  };
  return (
    <section aria-labelledby="assign-heading">
      <h2 id="assign-heading">Give work</h2>
      {courses.isSuccess && ready.length === 0 ? (
        <p className="empty">
          Work is given from your own courses: <Link to="/courses/new">make one</Link> first.
        </p>
      ) : (
        <form onSubmit={submit}>
          <label htmlFor="assign-kind">What</label>
          <select id="assign-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            {KINDS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          <label htmlFor="assign-course">From the course</label>
          <select id="assign-course" value={courseId} onChange={(e) => setCourseId(e.target.value)}>
            <option value="">Choose…</option>
            {ready.map((c) => (
              <option key={c.id} value={c.id}>
                {courseName(c)}
              </option>
            ))}
          </select>
          <label htmlFor="assign-to">For</label>
          <select id="assign-to" value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="">Choose…</option>
            {(groups.data?.groups ?? []).length > 0 && (
              <optgroup label="Groups">
                {groups.data?.groups.map((g) => (
                  <option key={g.id} value={`group:${g.id}`}>
                    {g.name}
                  </option>
                ))}
              </optgroup>
            )}
            {(learners.data?.learners ?? []).length > 0 && (
              <optgroup label="Learners">
                {learners.data?.learners.map((l) => (
                  <option key={l.id} value={`learner:${l.id}`}>
                    {l.name}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
          <label htmlFor="assign-due">Due (optional)</label>
          <input id="assign-due" type="date" value={due} onChange={(e) => setDue(e.target.value)} />
          <label htmlFor="assign-note">Note (optional)</label>
          <textarea id="assign-note" rows={2} maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} />
          <button type="submit" disabled={!courseId || !to || assign.isPending}>
            Assign
          </button>
          {assign.isSuccess && (
            <p role="status">
              Assigned: <Link to={`/assignments/${assign.data.id}`}>{assign.data.title}</Link>
            </p>
          )}
        </form>
      )}
      {assign.isError && <ErrorNotice error={assign.error} />}
    </section>
  );
}
