"""Shared infrastructure of the runtime: AWS clients, retries, process state, HTTPS client, request log and the
small helpers every domain uses. It imports no domain package."""
