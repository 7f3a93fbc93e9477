"""Learners' own material: read uploads in a bounded child process, chunk, embed, index."""
