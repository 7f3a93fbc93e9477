import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../api/client";
import { unwrap } from "../api/problem";
import type { Role } from "../api/workspace";
import { ErrorNotice } from "./ErrorNotice";

// A week: time enough to reach someone, short enough that a forgotten link stops working.
const VALID_DAYS = 7;

const ROLE_NAMES: Record<Role, string> = { learner: "A learner", tutor: "A tutor", admin: "An admin" };

/** A single-use link to join the organisation, shown once: only its hash is kept, so it cannot be
 *  shown again later. A tutor's link also makes the learner who accepts it their learner. */
export function InviteForm({ organizationId, roles }: { organizationId: string; roles: Role[] }) {
  const [role, setRole] = useState<Role>(roles[0]);
  const [note, setNote] = useState("");
  const invite = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{organization_id}/invitations", {
          params: { path: { organization_id: organizationId } },
          body: { role, note: note || null, valid_days: VALID_DAYS },
        }),
      ),
    onSuccess: () => setNote(""),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate();
  };
  const issued = invite.data;
  return (
    <section aria-labelledby="invite-heading" className="invite">
      <h2 id="invite-heading">Invite someone</h2>
      <form onSubmit={submit} className="inline-form">
        {roles.length > 1 && (
          <>
            <label htmlFor="invite-role">Who joins</label>
            <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {ROLE_NAMES[r]}
                </option>
              ))}
            </select>
          </>
        )}
        <label htmlFor="invite-note">Note for them (optional)</label>
        <input id="invite-note" value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
        <button type="submit" disabled={invite.isPending}>
          Create invitation link
        </button>
      </form>
      {invite.isError && <ErrorNotice error={invite.error} />}
      {issued && (
        <div role="status" className="notice">
          <label htmlFor="invite-link">
            Invitation link for {ROLE_NAMES[issued.role].toLowerCase()}, single use, until{" "}
            {new Date(issued.expires_at).toLocaleDateString()}
          </label>
          <input id="invite-link" readOnly value={new URL(issued.accept_url, window.location.origin).href} onFocus={(e) => e.target.select()} />
        </div>
      )}
    </section>
  );
}
