"""Study material made from the learner's own documents without a language model (pure: texts
and vectors in, drafts out). Everything served is quoted or cut from a passage, so each item can
cite the passage it came from and is correct by construction; see the README's "Engines"."""
