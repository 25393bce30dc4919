"""One boto3 client per service and process, created on first use (kept across warm Lambda invocations)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=None)
def client(service_name: str) -> Any:
    """``boto3.client(service_name)``, created once; boto3 is imported only when a client is needed."""
    import boto3

    return boto3.client(service_name)
