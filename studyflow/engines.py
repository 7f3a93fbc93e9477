"""Which engine writes a piece of study material: the configured LLM, or the learner's own
material cut and quoted without a model ("extractive").

`CONTENT_ENGINE=auto` (the default) picks extractive while the configured model is the bundled
SmolLM2-135M: a 135M-parameter model cannot write study material (it copies its prompt and its
worked example, and leaves JSON in the text), while the learner's documents can supply it.
Extractive work needs material: a course from a bare topic has none, so there the LLM still
runs, under the strict checks of `content_rules`, and what fails them is shown as failed.
The value is recorded on every artifact (`outline_model`, `notes_model`, `model`) as
`EXTRACTIVE`, and the web app says "from your material" for it.
"""

from __future__ import annotations

from typing import Literal

# The model the embedded stack serves when nothing is configured (cli/local_llm.py serves it
# under this name); kept here so the kernel can recognise it without importing the CLI.
BUNDLED_MODEL = "smollm2-135m-instruct"
EXTRACTIVE = "extractive"

Engine = Literal["llm", "extractive"]


def is_bundled(model: str | None) -> bool:
    return (model or "").strip().casefold() == BUNDLED_MODEL


def engine_for(setting: str, model: str | None, *, has_material: bool) -> Engine:
    """The engine for one task: `setting` is CONTENT_ENGINE (auto | llm | extractive)."""
    if not has_material:
        return "llm"
    if setting == "extractive" or (setting == "auto" and is_bundled(model)):
        return "extractive"
    return "llm"
