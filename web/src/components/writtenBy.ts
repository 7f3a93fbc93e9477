/** Who wrote a piece of study material, in words: the learner's own material (quoted, no model) or a model. */
export function writtenBy(model: string | null | undefined): string | null {
  if (!model) return null;
  return model === "extractive" ? "from your material" : `written by ${model}`;
}
