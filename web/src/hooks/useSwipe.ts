import { type PointerEvent, useRef } from "react";

const MIN_PX = 50;

/** Horizontal swipes on a touch screen (or a dragged mouse): left and right handlers; a short
 *  movement stays a tap, handled by the element's own click. Spread the result on the element. */
export function useSwipe(handlers: { onLeft?: () => void; onRight?: () => void }) {
  const start = useRef<{ x: number; y: number } | null>(null);
  const swiped = useRef(false);
  return {
    onPointerDown: (e: PointerEvent) => {
      start.current = { x: e.clientX, y: e.clientY };
      swiped.current = false;
    },
    onPointerUp: (e: PointerEvent) => {
      const from = start.current;
      start.current = null;
      if (!from) return;
      const dx = e.clientX - from.x;
      const dy = e.clientY - from.y;
      if (Math.abs(dx) < MIN_PX || Math.abs(dx) < Math.abs(dy) * 1.5) return;
      swiped.current = true;
      (dx < 0 ? handlers.onLeft : handlers.onRight)?.();
    },
    /** True right after a swipe: the click that follows it is not a tap. */
    wasSwipe: () => {
      const was = swiped.current;
      swiped.current = false;
      return was;
    },
  };
}

/** Whether the learner is on a touch screen: hints say "tap" and "swipe" there, keys elsewhere. */
export function isTouchScreen(): boolean {
  return typeof window !== "undefined" && window.matchMedia?.("(pointer: coarse)").matches === true;
}
