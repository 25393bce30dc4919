"""The campaign engine: requests and payloads, the workflow steps, rendering, the send ledger and delivery."""
