import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the app with hot reload on :5173 and forwards API calls to the API
// started by `make dev` (STUDYFLOW_API overrides where that is).
const api = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.STUDYFLOW_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/v1": { target: api, changeOrigin: false } },
  },
  build: {
    // The budget test reads the manifest to find what the first page load downloads.
    manifest: true,
    sourcemap: false,
    reportCompressedSize: true,
  },
});
