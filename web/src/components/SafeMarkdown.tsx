import type { ComponentProps } from "react";
import Markdown from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import { httpOnly, remarkHtmlAsText } from "./SafeText";

type AnchorProps = ComponentProps<"a"> & { node?: unknown };
type ImageProps = ComponentProps<"img"> & { node?: unknown };

function SafeLink({ href, children }: AnchorProps) {
  if (!href) return <span className="dead-link">{children}</span>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  );
}

// Remote images in generated text would let the model make the browser fetch anything: shown as text.
function ImageAsText({ alt, src }: ImageProps) {
  return <span className="image-placeholder">[image: {alt || src || "untitled"}]</span>;
}

/** Markdown from an LLM, rendered inert: no raw HTML, links http(s) only, code highlighted. */
export function SafeMarkdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <Markdown
        skipHtml={false}
        remarkPlugins={[remarkHtmlAsText]}
        rehypePlugins={[[rehypeHighlight, { detect: true, ignoreMissing: true }]]}
        urlTransform={httpOnly as (url: string) => string}
        components={{ a: SafeLink, img: ImageAsText }}
      >
        {text}
      </Markdown>
    </div>
  );
}
