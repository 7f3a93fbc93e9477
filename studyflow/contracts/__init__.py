"""Pydantic contracts shared by the API, workflows and activities (sent through Temporal with
`pydantic_data_converter`). Workflows receive ids and small values, never large generated text."""
