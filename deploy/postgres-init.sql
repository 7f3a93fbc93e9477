-- pgvector for the application database; Temporal's auto-setup creates its own databases.
CREATE EXTENSION IF NOT EXISTS vector;
