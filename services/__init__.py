"""The rules of the request half: what the API may admit, for whom, and how work is started.

Routes parse, authorise through these services, call one, and shape the answer. Services own the
transactions (row + quota + outbox record commit together), start recorded workflows after the
commit, and undo one way. They import the database and the kernel, never the API, the
activities or the workflows (workflows are named, not imported: studyflow/workflow_types.py)."""
