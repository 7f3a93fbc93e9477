import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

type TokenSource = () => Promise<string | null>;
let currentToken: TokenSource = async () => null;

/** The sign-in provider (dev sign-in or Clerk) decides where bearer tokens come from. */
export function setTokenSource(source: TokenSource): void {
  currentToken = source;
}

export async function bearerToken(): Promise<string | null> {
  return currentToken();
}

const authorize: Middleware = {
  async onRequest({ request }) {
    const token = await currentToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(authorize);
