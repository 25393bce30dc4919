"""The Adobe Journey Optimizer SMS bridge: request contract, API keys, idempotent accept and the sender."""
