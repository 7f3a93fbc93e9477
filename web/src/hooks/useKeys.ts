import { useEffect, useLayoutEffect, useRef } from "react";

/** Page-level shortcuts (Space, 1–4, arrows) that stay out of the way while typing in a field. */
export function useKeys(handlers: Record<string, () => void>): void {
  const current = useRef(handlers);
  // The latest handlers, kept after each render (not during it) for the one listener below.
  useLayoutEffect(() => {
    current.current = handlers;
  });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.closest("input, textarea, select, [contenteditable=true]")) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const key = event.key === " " ? "Space" : event.key;
      const handler = current.current[key];
      if (!handler) return;
      // Space would also scroll the page or press the focused button a second time.
      event.preventDefault();
      handler();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
