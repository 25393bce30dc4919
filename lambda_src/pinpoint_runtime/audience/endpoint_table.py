"""DynamoDB access of the endpoint store: calls retried on throttling, BatchGetItem / BatchWriteItem with their
unprocessed keys and items retried (jittered backoff, bounded attempts), the user index query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pinpoint_runtime.audience.endpoint_items import USER_INDEX, _endpoint_key, _from_item, _user_key
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.retries import full_jitter_backoff

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 5.0
RETRYABLE_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)


class EndpointStoreError(RuntimeError):
    """Configuration problems and writes DynamoDB still refused after all attempts."""


class EndpointStoreWriteError(EndpointStoreError):
    """Some writes were not applied after ``max_attempts``; ``written`` and ``failed`` are item counts."""

    def __init__(self, *, written: int, failed: int, max_attempts: int) -> None:
        self.written = written
        self.failed = failed
        super().__init__(
            f"{failed} DynamoDB write(s) not applied after up to {max_attempts} attempt(s) ({written} applied)"
        )


class NotFoundError(LookupError):
    """The endpoint does not exist (Pinpoint's 404 NotFoundException, message ``Resource not found``)."""


class EndpointTable:
    """The DynamoDB calls of :class:`~pinpoint_runtime.audience.store.EndpointStore` (its base class): the table
    ``table_name`` through ``client``, at most ``max_attempts`` calls per batch, ``_sleep`` between them."""

    table_name: str
    client: Any
    max_attempts: int
    _sleep: Callable[[float], None]

    def _call(self, operation: str, **kwargs: Any) -> dict:
        """One DynamoDB call, retried on throttling/5xx codes with jittered backoff (bounded attempts)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        for attempt in range(1, self.max_attempts + 1):
            try:
                return getattr(self.client, operation)(**kwargs)
            except ClientError as error:
                code = error_code(error)
                if code not in RETRYABLE_ERROR_CODES or attempt == self.max_attempts:
                    raise
            self._sleep(_backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_items(self, app: str, endpoint_ids: list[str]) -> dict[str, dict]:
        """{endpoint id: plain item} for the ids that exist (BatchGetItem, 100 keys per call, consistent)."""
        found: dict[str, dict] = {}
        for start in range(0, len(endpoint_ids), 100):
            pending: Any = {
                self.table_name: {
                    "Keys": [_endpoint_key(app, i) for i in endpoint_ids[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(1, self.max_attempts + 1):
                if attempt > 1:
                    self._sleep(_backoff(attempt - 1))
                response = self._call("batch_get_item", RequestItems=pending)
                for raw in response.get("Responses", {}).get(self.table_name, []):
                    item = _from_item(raw)
                    found[item["endpoint"]["Id"]] = item
                pending = response.get("UnprocessedKeys") or {}
                if not pending.get(self.table_name, {}).get("Keys"):
                    break
            else:
                raise EndpointStoreError(f"DynamoDB left keys unprocessed after {self.max_attempts} attempt(s)")
        return found

    def _query(self, query: dict) -> Iterator[dict]:
        request = dict(query)
        while True:
            response = self._call("query", **request)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    def _user_items(self, app: str, user_id: str, *, keys_only: bool = False) -> Iterator[dict]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": USER_INDEX,
            "KeyConditionExpression": "user_key = :u",
            "ExpressionAttributeValues": {":u": {"S": _user_key(app, user_id)}},
        }
        if keys_only:
            query["ProjectionExpression"] = "pk"
            yield from self._query(query)
            return
        for raw in self._query(query):
            yield _from_item(raw)

    def _write_endpoints(self, items: list[dict]) -> None:
        self._batch_write([{"PutRequest": {"Item": item}} for item in items])

    def _batch_write(self, requests: list[dict]) -> None:
        """BatchWriteItem in chunks of 25, retrying UnprocessedItems with jittered backoff (bounded)."""
        written = 0
        for start in range(0, len(requests), 25):
            pending = requests[start : start + 25]
            for attempt in range(1, self.max_attempts + 1):
                if attempt > 1:
                    self._sleep(_backoff(attempt - 1))
                response = self._call("batch_write_item", RequestItems={self.table_name: pending})
                unprocessed = (response.get("UnprocessedItems") or {}).get(self.table_name) or []
                written += len(pending) - len(unprocessed)
                pending = unprocessed
                if not pending:
                    break
            else:
                raise EndpointStoreWriteError(
                    written=written, failed=len(requests) - written, max_attempts=self.max_attempts
                )


def _backoff(retry: int) -> float:
    return full_jitter_backoff(retry, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS)


def _not_found(app: str, endpoint_id: str) -> NotFoundError:
    return NotFoundError(f"Resource not found: endpoint {endpoint_id!r} in application {app!r}")
