import { useMutation, useQuery } from "@tanstack/react-query";
import { useNavigate, useParams } from "react-router-dom";
import { api } from "../api/client";
import { unwrap } from "../api/problem";
import { queryKeys } from "../api/queryKeys";
import { useSession } from "../auth/session";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";

const AS: Record<string, string> = { learner: "a learner", tutor: "a tutor", admin: "an admin" };

/** Where an invitation link lands: what joining means, then joining and working in the organisation. */
export function InvitationPage() {
  const { token = "" } = useParams();
  const navigate = useNavigate();
  const { enterOrganization } = useSession();
  const accept = useMutation({
    mutationFn: async () => {
      const accepted = await unwrap(api.POST("/v1/invitations/{token}/accept", { params: { path: { token } } }));
      if (enterOrganization) await enterOrganization(accepted.external_id, accepted.role);
      return accepted;
    },
    onSuccess: () => {
      if (enterOrganization) navigate("/");
    },
  });
  const preview = useQuery({
    queryKey: queryKeys.invitation(token),
    queryFn: () => unwrap(api.GET("/v1/invitations/{token}", { params: { path: { token } } })),
    // Once accepted it answers 409 (used): entering the organisation refetches what is on screen.
    enabled: !accept.isPending && !accept.isSuccess,
  });
  if (accept.isSuccess && !enterOrganization) {
    // The sign-in provider switches organisations itself (Clerk's organisation switcher).
    return (
      <section className="invitation">
        <h1>You joined</h1>
        <p role="status">Choose the organisation in your account's organisation menu to work in it.</p>
      </section>
    );
  }
  if (preview.isPending) return <Loading what="the invitation" />;
  if (preview.isError) {
    return (
      <section className="invitation">
        <h1>Invitation</h1>
        <ErrorNotice error={preview.error} onRetry={() => preview.refetch()} />
      </section>
    );
  }
  const p = preview.data;
  return (
    <section className="invitation">
      <h1>Join {p.organization_name}</h1>
      <p>
        You are invited to join {p.organization_name} as {AS[p.role] ?? p.role}
        {p.tutor_name && `, with ${p.tutor_name} as your tutor`}. The invitation works once, until{" "}
        {new Date(p.expires_at).toLocaleDateString()}.
      </p>
      {p.tutor_name && (
        <p className="meta">
          {p.tutor_name} will see your courses, quiz answers, mastery, goals and sessions — never your chats with the
          tutor assistant unless you hand one off. You can see this under My tutors.
        </p>
      )}
      <button type="button" onClick={() => accept.mutate()} disabled={accept.isPending}>
        Accept the invitation
      </button>
      {accept.isError && <ErrorNotice error={accept.error} />}
    </section>
  );
}
