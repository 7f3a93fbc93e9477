"""Every side effect lives here: database, LLM, embeddings, cache, retrieval, notifications."""
