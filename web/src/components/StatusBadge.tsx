const LABELS: Record<string, string> = {
  generating: "Generating…",
  processing: "Reading…",
  pending: "Pending",
  ready: "Ready",
  completed: "Ready",
  failed: "Failed",
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{LABELS[status] ?? status}</span>;
}
