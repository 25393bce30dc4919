"""One boto3 client per service and process, created on first use (kept across warm Lambda invocations)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=None)
def client(service_name: str) -> Any:
    """``boto3.client(service_name)``, created once; boto3 is imported only when a client is needed."""
    import boto3

    return boto3.client(service_name)


class LazyClient:
    """A class attribute for a boto3 client an instance may be given: ``client = LazyClient("dynamodb")`` answers
    the instance's ``_client`` (``attribute``) when one was passed, else creates ``boto3.client(service_name)`` on
    first use and keeps it there. boto3 is imported only then, so importing the runtime stays cheap."""

    def __init__(self, service_name: str, attribute: str = "_client") -> None:
        self.service_name = service_name
        self.attribute = attribute

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = getattr(instance, self.attribute)
        if value is None:
            import boto3

            value = boto3.client(self.service_name)
            setattr(instance, self.attribute, value)
        return value
