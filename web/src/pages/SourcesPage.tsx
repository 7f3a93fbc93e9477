import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { ApiProblem, unwrap } from "../api/problem";
import { pollWhile } from "../api/polling";
import { ErrorNotice } from "../components/ErrorNotice";
import { Loading } from "../components/Loading";
import { StatusBadge } from "../components/StatusBadge";
import { queryKeys } from "../api/queryKeys";

const ACCEPTED = ".pdf,.md,.markdown,.txt,.html,.htm,.docx,.vtt,.srt";

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

function extent(source: Schemas["SourceView"]): string {
  if (source.pages != null) return `${source.pages} pages`;
  if (source.segments != null) return `${source.segments} sections`;
  return "";
}

export function SourcesPage() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [file, setFile] = useState<File | null>(null);
  const [url, setUrl] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const sources = useQuery({
    queryKey: queryKeys.sources(),
    queryFn: () => unwrap(api.GET("/v1/sources")),
    refetchInterval: pollWhile((list: Schemas["SourceList"]) => list.items.some((s) => s.status === "processing")),
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: queryKeys.sources() });
  const upload = useMutation({
    mutationFn: (picked: File) => {
      const form = new FormData();
      form.append("file", picked);
      return unwrap(api.POST("/v1/sources", { body: form as never, bodySerializer: (body) => body as unknown as FormData }));
    },
    onSuccess: () => {
      setFile(null);
      refresh();
    },
  });
  const addPage = useMutation({
    mutationFn: (address: string) => unwrap(api.POST("/v1/sources", { body: { url: address } as never })),
    onSuccess: () => {
      setUrl("");
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/v1/sources/{source_id}", { params: { path: { source_id: id } } })),
    onSuccess: refresh,
  });
  const createCourse = useMutation({
    mutationFn: (ids: string[]) => unwrap(
        api.POST("/v1/courses", {
          body: { source_ids: ids, course_type: "practical", difficulty: "beginner", preferences: { language: "en" } },
        }),
      ),
    onSuccess: (accepted) => navigate(`/courses/${accepted.course_id}`),
  });

  const submitFile = (event: FormEvent) => {
    event.preventDefault();
    if (file) upload.mutate(file);
  };
  const submitUrl = (event: FormEvent) => {
    event.preventDefault();
    addPage.mutate(url.trim());
  };
  const toggle = (id: string) => setChosen((ids) => (ids.includes(id) ? ids.filter((i) => i !== id) : [...ids, id]));

  return (
    <section className="sources">
      <h1>My material</h1>
      <p className="meta">
        Upload lecture PDFs, notes, transcripts or web pages, then build a course from them: every card and question
        says where it comes from.
      </p>
      <form onSubmit={submitFile} className="inline-form">
        <label htmlFor="source-file">Add a file (PDF, Markdown, text, HTML, Word, .vtt or .srt)</label>
        <input id="source-file" type="file" accept={ACCEPTED} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <button type="submit" disabled={!file || upload.isPending}>
          {upload.isPending ? "Uploading…" : "Upload"}
        </button>
      </form>
      {upload.error instanceof ApiProblem && <ErrorNotice error={upload.error} />}
      <form onSubmit={submitUrl} className="inline-form">
        <label htmlFor="source-url">Or a web page</label>
        <input id="source-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" />
        <button type="submit" disabled={!url.trim() || addPage.isPending}>
          Add page
        </button>
      </form>
      {addPage.error instanceof ApiProblem && <ErrorNotice error={addPage.error} />}

      {sources.isPending ? (
        <Loading what="your material" />
      ) : sources.isError ? (
        <ErrorNotice error={sources.error} onRetry={() => sources.refetch()} />
      ) : sources.data.items.length === 0 ? (
        <p className="empty">Nothing here yet.</p>
      ) : (
        <>
          <p className="meta">
            {sources.data.total} of {sources.data.source_limit} sources · {size(sources.data.used_bytes)} of{" "}
            {size(sources.data.storage_limit_bytes)} used
          </p>
          <ul className="source-list">
            {sources.data.items.map((source) => (
              <li key={source.id} className="source">
                <label className="choice">
                  <input
                    type="checkbox"
                    checked={chosen.includes(source.id)}
                    disabled={source.status !== "ready"}
                    onChange={() => toggle(source.id)}
                  />
                  <span className="source-name">{source.name}</span>
                </label>
                <StatusBadge status={source.status} />
                <span className="meta">
                  {source.kind} · {extent(source)} {source.status === "ready" && `· ${source.chunk_count} passages`}
                  {source.skipped > 0 && ` · ${source.skipped} unreadable left out`}
                </span>
                {source.status === "failed" && <p className="source-error">{source.error}</p>}
                <button type="button" className="link-button" onClick={() => remove.mutate(source.id)}>
                  Delete<span className="visually-hidden"> {source.name}</span>
                </button>
              </li>
            ))}
          </ul>
          <button type="button" disabled={chosen.length === 0 || createCourse.isPending} onClick={() => createCourse.mutate(chosen)}>
            {createCourse.isPending ? "Creating…" : `Build a course from ${chosen.length || "the chosen"} source${chosen.length === 1 ? "" : "s"}`}
          </button>
          {createCourse.error instanceof ApiProblem && <ErrorNotice error={createCourse.error} />}
        </>
      )}
    </section>
  );
}
