"""Free-text (short-answer) items and their grading (SPEC §14), pure: texts and vectors in,
scores, confidences and verdicts out. The activities embed, call the model and persist."""
