import { useQuery } from "@tanstack/react-query";
import { api, type Schemas } from "./client";
import { unwrap } from "./problem";
import { queryKeys } from "./queryKeys";

export type Role = Schemas["Role"];

/** The organisation and role this session is in: `/v1/me` does not carry them, the list of
 * organisations does. `role` is null for a learner studying alone (the personal space). */
export function useWorkspace() {
  const organizations = useQuery({
    queryKey: queryKeys.organizations(),
    queryFn: () => unwrap(api.GET("/v1/organizations")),
    staleTime: 60_000,
  });
  const data = organizations.data;
  const active = data?.organizations.find((o) => o.active) ?? null;
  return {
    query: organizations,
    role: (data?.active_role ?? null) as Role | null,
    organizationId: data?.active_organization_id ?? null,
    organizationName: active?.name ?? null,
  };
}
