"""Grading free-text answers: the embedded grader, the LLM grader, and GradingWorkflow's activities."""
