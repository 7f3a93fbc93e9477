import { bearerToken } from "./client";
import { ApiProblem } from "./problem";

/** Downloads an authenticated file: a plain link could not carry the bearer token. */
export async function downloadFile(path: string, filename: string): Promise<void> {
  const token = await bearerToken();
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw ApiProblem.from(response, await response.json().catch(() => null));
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
