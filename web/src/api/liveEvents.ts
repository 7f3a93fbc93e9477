import { type EventSourceMessage, fetchEventSource } from "@microsoft/fetch-event-source";
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
import { bearerToken } from "./client";
import { queryKeys } from "./queryKeys";

/**
 * GET /v1/events keeps the screens current: each status change refetches exactly the queries it
 * affects. While the stream is up, polling slows to a safety net (see polling.ts); when it drops
 * the library reconnects with Last-Event-ID, and the server replays or asks for a fresh read.
 */
let streamUp = false;
const watchers = new Set<() => void>();

function setStreamUp(up: boolean) {
  if (streamUp === up) return;
  streamUp = up;
  watchers.forEach((notify) => notify());
}

export function isStreamUp(): boolean {
  return streamUp;
}

export function useStreamUp(): boolean {
  return useSyncExternalStore(
    (notify) => {
      watchers.add(notify);
      return () => watchers.delete(notify);
    },
    () => streamUp,
  );
}

class SignedOut extends Error {}

type Change = { kind: string; id: string; course_id: string | null; status: string };

/** A piece of a tutor answer as the model writes it (kind `answer` on the event stream). */
export type AnswerDelta = { id: string; request_id: string; offset: number; delta: string };
const answerListeners = new Set<(delta: AnswerDelta) => void>();

export function onAnswerDelta(listener: (delta: AnswerDelta) => void): () => void {
  answerListeners.add(listener);
  return () => answerListeners.delete(listener);
}

// Events come in bursts (a course and its topics at once): their refetches are batched, so a
// burst costs one read per screen, each started after the last event of the burst.
const BATCH_MS = 150;
const pendingKeys = new Map<string, readonly unknown[]>();
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function refetchSoon(queryClient: QueryClient, keys: (readonly unknown[])[]) {
  keys.forEach((key) => pendingKeys.set(JSON.stringify(key), key));
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = setTimeout(() => {
    flushTimer = null;
    const batch = [...pendingKeys.values()];
    pendingKeys.clear();
    batch.forEach((queryKey) => void queryClient.invalidateQueries({ queryKey }));
  }, BATCH_MS);
}

function refetchFor(queryClient: QueryClient, message: EventSourceMessage) {
  const touch = (...keys: (readonly unknown[])[]) => refetchSoon(queryClient, keys);
  if (message.event === "resync") {
    void queryClient.invalidateQueries();
    return;
  }
  if (!message.data || message.event === "ready") return;
  const change = JSON.parse(message.data) as Change;
  switch (change.kind) {
    case "course":
      touch(queryKeys.course(change.id), queryKeys.dashboard());
      break;
    case "topic":
      touch(queryKeys.topic(change.id), queryKeys.course(change.course_id));
      break;
    case "study_content":
      touch(queryKeys.studyContent(change.id), queryKeys.course(change.course_id));
      break;
    case "remediation":
      touch(queryKeys.remediation(change.id), queryKeys.weakAreas());
      break;
    case "notification":
      // Assignments and hand-offs change hands by notifying the other side: what they show is
      // read again with the inbox (a hand-off's status, a tutor's inbox, a learner's new work).
      touch(queryKeys.notifications(), ["handoff"], queryKeys.handoffs(), queryKeys.assignments());
      break;
    case "source":
      touch(queryKeys.sources());
      break;
    case "session":
      // Every list of sessions (a learner's own, or a tutor's view of one learner) by prefix.
      touch(queryKeys.session(change.id), ["sessions"]);
      break;
    case "answer":
      answerListeners.forEach((listen) => listen(change as unknown as AnswerDelta));
      break;
  }
}

export function useLiveEvents(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    const stop = new AbortController();
    let opened = 0;
    void fetchEventSource("/v1/events", {
      signal: stop.signal,
      // A fresh token on every (re)connect: Clerk session tokens live about a minute.
      fetch: async (input, init) => {
        const token = await bearerToken();
        const headers = new Headers(init?.headers);
        if (token) headers.set("Authorization", `Bearer ${token}`);
        return fetch(input, { ...init, headers });
      },
      async onopen(response) {
        if (response.status === 401) throw new SignedOut();
        if (!response.ok) throw new Error(`event stream answered ${response.status}`);
        setStreamUp(true);
        // Reopened without a replay point: what changed meanwhile is unknown, so re-read.
        if (opened++ > 0) void queryClient.invalidateQueries();
      },
      onmessage: (message) => refetchFor(queryClient, message),
      onclose() {
        setStreamUp(false);
        throw new Error("event stream closed"); // reconnect
      },
      onerror(error) {
        setStreamUp(false);
        if (error instanceof SignedOut) throw error; // stop: the session is gone
        return 3000;
      },
    }).catch(() => setStreamUp(false));
    return () => {
      stop.abort();
      setStreamUp(false);
    };
  }, [queryClient]);
}
