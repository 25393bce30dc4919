"""The one way the runtime makes boto3 clients (one per service and process, created on first use, kept across warm
Lambda invocations) and reads the error code of a failed AWS call."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any


@cache
def client(service_name: str) -> Any:
    """``boto3.client(service_name)``, created once; boto3 is imported only when a client is needed."""
    return new_client(service_name)


def new_client(service_name: str, **options: Any) -> Any:
    """A boto3 client of its own (``options``: e.g. ``config=``, ``region_name=``), for callers that need settings
    other than the shared client's; boto3 is imported only here."""
    import boto3  # noqa: PLC0415

    return boto3.client(service_name, **options)


def error_code(error: BaseException, default: str = "") -> str:
    """The AWS error code of a botocore ``ClientError`` (``error.response["Error"]["Code"]``), else ``default``."""
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        details = response.get("Error")
        if isinstance(details, Mapping) and details.get("Code"):
            return str(details["Code"])
    return default


class LazyClient:
    """A class attribute for a boto3 client an instance may be given: ``client = LazyClient("dynamodb")`` answers
    the instance's ``_client`` (``attribute``) when one was passed, else creates ``boto3.client(service_name)`` on
    first use and keeps it there. boto3 is imported only then, so importing the runtime stays cheap."""

    def __init__(self, service_name: str, attribute: str = "_client", **options: Any) -> None:
        self.service_name = service_name
        self.attribute = attribute
        self.options = options

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = getattr(instance, self.attribute)
        if value is None:
            value = new_client(self.service_name, **self.options)
            setattr(instance, self.attribute, value)
        return value
