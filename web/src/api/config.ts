import { useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { unwrap } from "./problem";
import { queryKeys } from "./queryKeys";

/** GET /v1/config: what this deployment offers (auth mode, demo model, billing, tutors). */
export function useConfig() {
  return useQuery({ queryKey: queryKeys.config(), queryFn: () => unwrap(api.GET("/v1/config")), staleTime: Infinity });
}
