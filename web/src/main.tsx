import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { ApiProblem } from "./api/problem";
import { App } from "./App";
import { AuthGate } from "./auth/AuthGate";
import { SIGNED_OUT_EVENT } from "./auth/devSession";
import "./styles.css";

// An expired or revoked session anywhere sends the learner back to sign-in.
const onError = (error: unknown) => {
  if (error instanceof ApiProblem && error.status === 401) window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
};

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // 4xx answers will not change by asking again; network errors and 5xx might.
      retry: (failures, error) => !(error instanceof ApiProblem && error.status >= 400 && error.status < 500) && failures < 3,
    },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AuthGate>
          <App />
        </AuthGate>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
