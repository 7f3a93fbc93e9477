"""Talking to models over the OpenAI protocol: the gateway (failover, JSON output, repair), the
ledger of calls, the prompts, the grammar shaping for local models, and their errors."""
