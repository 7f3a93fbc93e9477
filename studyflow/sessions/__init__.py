"""Tutoring sessions without I/O: reading a transcript in any of its formats into utterances,
telling the tutor from the learner, cutting windows for a small model, merging what the windows
found, checking evidence quotes against the transcript, and the extractive analysis. The
activities (activities/session_activities.py) do the database, object store and model calls."""
