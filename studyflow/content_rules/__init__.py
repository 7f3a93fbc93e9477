"""Pure rules about generated content, shared by activities and the API: outline shape,
quiz/card validation, notes markdown, grading. No I/O."""
