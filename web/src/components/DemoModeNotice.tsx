import { useState } from "react";
import { useConfig } from "../api/config";

const DISMISSED = "studyflow.demo-notice-dismissed";

/** While the bundled demo model is in use: what it is good for, what it is not, and the way out.
 *  Shown on every page until the learner hides it for this browser session. */
export function DemoModeNotice() {
  const config = useConfig();
  const [hidden, setHidden] = useState(() => sessionStorage.getItem(DISMISSED) === "1");
  if (!config.data?.bundled_model || hidden) return null;
  return (
    <aside className="notice demo-mode" aria-label="Demo mode">
      <p>
        <strong>Demo mode:</strong> no real language model is connected, only a tiny bundled one. Courses built from{" "}
        <em>your own documents</em> (My material) work: their notes, cards, quizzes and tutor answers quote your
        material and cite where. Courses on a bare topic are beyond it — their content may fail or be poor.
      </p>
      <p>
        To connect a real model, start studyflow with <code>OPENAI_BASE_URL</code>, <code>OPENAI_MODEL</code> and{" "}
        <code>OPENAI_API_KEY</code> set (for example a local Ollama: <code>OPENAI_BASE_URL=http://localhost:11434/v1</code>
        ), then run <code>studyflow models</code> to check it.
      </p>
      <button
        type="button"
        className="link-button"
        onClick={() => {
          sessionStorage.setItem(DISMISSED, "1");
          setHidden(true);
        }}
      >
        Hide for this session
      </button>
    </aside>
  );
}
