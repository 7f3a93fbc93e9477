import type { Root } from "mdast";
import { visit } from "unist-util-visit";

/**
 * LLM-written markdown may carry HTML. Rather than drop it (the learner would wonder what is
 * missing) it is turned into plain text, so `<script>` reads as the characters "<script>".
 */
export function remarkHtmlAsText() {
  return (tree: Root) => {
    visit(tree, "html", (node, index, parent) => {
      if (parent && index !== undefined) {
        parent.children[index] = { type: "text", value: node.value } as never;
      }
    });
  };
}

const SAFE_LINK = /^https?:\/\//i;

/** Only absolute http(s) links survive; anything else (javascript:, data:, relative) is dropped. */
export function httpOnly(url: string): string | null {
  return SAFE_LINK.test(url.trim()) ? url : null;
}
