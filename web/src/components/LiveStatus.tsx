import { useStreamUp } from "../api/liveEvents";

export function LiveStatus() {
  const live = useStreamUp();
  return (
    <span className={`live-status ${live ? "live" : "polling"}`} title={live ? "Updates arrive as they happen" : "Reconnecting; checking for updates periodically"}>
      {live ? "Live" : "Polling"}
    </span>
  );
}
