import type { Query } from "@tanstack/react-query";
import { isStreamUp } from "./liveEvents";

const FIRST_MS = 1000;
const MAX_MS = 15000;
const SAFETY_NET_MS = 30000;

/**
 * refetchInterval for something that may be busy: quick at first, backing off to 15 s, off once
 * settled. While the event stream is up it pushes changes, so polling is only a slow safety net.
 */
export function pollWhile<T>(isBusy: (data: T) => boolean) {
  return (query: Query<T, Error, T, readonly unknown[]>): number | false => {
    const data = query.state.data;
    if (data === undefined || !isBusy(data)) return false;
    if (isStreamUp()) return SAFETY_NET_MS;
    return Math.min(MAX_MS, FIRST_MS * 1.5 ** query.state.dataUpdateCount);
  };
}
