"""Thin FastAPI layer: validates, authorises, writes rows, starts workflows, reads state."""
