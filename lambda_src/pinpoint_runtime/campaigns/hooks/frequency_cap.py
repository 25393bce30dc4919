"""The ``FREQUENCY_CAP`` built-in hook of ``CampaignHookAttributes``: drops endpoints that this hook let through
``max_messages`` times within a trailing window (:class:`FrequencyCap` gives the semantics)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pinpoint_runtime.campaigns.hooks.contract import HookConfigurationError, KeyType, key_type_of
from pinpoint_runtime.campaigns.payloads import endpoints_of, user_id_of
from pinpoint_runtime.core.aws_clients import client as aws_client
from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.core.environment import FunctionSettings, variable


@dataclass(frozen=True, kw_only=True)
class FrequencyCapSettings(FunctionSettings):
    """What the ``FREQUENCY_CAP`` hook function reads (``CampaignHookAttributes`` writes it)."""

    construct: ClassVar[str] = "CampaignHookAttributes"
    table_name: str = variable("CAP_TABLE_NAME", doc="the counter table")
    max_messages: int = variable("CAP_MAX_MESSAGES", doc="admissions per subject per window")
    window_seconds: float = variable("CAP_WINDOW_SECONDS", doc="the trailing window")
    key_type: KeyType = variable("CAP_KEY_TYPE", default=KeyType.ENDPOINT_ID, doc="what a subject is")
    partition_key: str = variable("CAP_PARTITION_KEY", default="id", doc="the table's partition key attribute")


class FrequencyCap:
    """Drops endpoints that were let through ``max_messages`` times within the trailing ``window_seconds``.

    Semantics (this is a *hook-side* cap, so it counts what the hook lets through, not what was delivered):

    * The counter table holds one item per subject (endpoint id or ``User.UserId``, ``key_type``) with a map
      ``sends`` of send key -> epoch seconds, where the send key is ``campaign#treatment#endpoint``. Entries older
      than the window are pruned on every write and the item expires (TTL attribute ``expires_at``) one window
      after its last admission.
    * An endpoint is let through when the subject has fewer than ``max_messages`` sends in the window, and the
      admission is recorded by this hook **when it lets the endpoint through** (conditional write with a version
      number, so concurrent batches cannot both take the last slot). At most ``max_messages`` admissions per
      subject per window, hence at most that many messages.
    * A retried batch is not counted twice: the send key of an endpoint already admitted for this
      campaign/treatment lets it through again without a new count.
    * An admission counts even if the message later fails to render or deliver (conservative: the cap is never
      exceeded, a subject may occasionally get fewer messages than the cap).
    * Keyed by user id, every endpoint of the user counts (an SMS and an email of one campaign are two messages);
      endpoints without ``User.UserId`` are capped by endpoint id.
    * When the write keeps conflicting (``max_attempts``), the endpoint is dropped: the cap is a promise.
    """

    def __init__(
        self,
        table_name: str,
        *,
        max_messages: int,
        window_seconds: float,
        key_type: KeyType | str = KeyType.ENDPOINT_ID,
        partition_key: str = "id",
        max_attempts: int = 3,
        dynamodb_client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key_type = key_type_of(key_type)
        if max_messages < 1 or window_seconds <= 0:
            raise HookConfigurationError("max_messages must be >= 1 and window_seconds > 0")
        self.table_name = table_name
        self.max_messages = int(max_messages)
        self.window_seconds = float(window_seconds)
        self.key_type = key_type
        self.partition_key = partition_key
        self.max_attempts = max_attempts
        self._client = dynamodb_client
        self._clock = clock
        self.dropped_on_conflict = 0

    @classmethod
    def from_settings(cls, settings: FrequencyCapSettings) -> FrequencyCap:
        return cls(
            settings.table_name,
            max_messages=settings.max_messages,
            window_seconds=settings.window_seconds,
            key_type=settings.key_type,
            partition_key=settings.partition_key,
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("dynamodb")
        return self._client

    def _subject(self, endpoint_id: str, endpoint: Mapping[str, Any]) -> str:
        if self.key_type == KeyType.USER_ID:
            user_id = user_id_of(endpoint)
            if user_id:
                return f"user#{user_id}"
        return f"endpoint#{endpoint_id}"

    def _read(self, subject: str) -> tuple[int, dict[str, float]]:
        item = self.client.get_item(
            TableName=self.table_name, Key={self.partition_key: {"S": subject}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return 0, {}
        version = int(item.get("version", {}).get("N", "0"))
        sends = {k: float(v["N"]) for k, v in item.get("sends", {}).get("M", {}).items() if "N" in v}
        return version, sends

    def admit(self, subject: str, send_key: str) -> bool:
        """True when this send may go out (and is now recorded)."""
        for _ in range(self.max_attempts):
            now = self._clock()
            version, sends = self._read(subject)
            if send_key in sends and sends[send_key] > now - self.window_seconds:
                return True  # the same send, retried
            live = {k: t for k, t in sends.items() if t > now - self.window_seconds}
            if len(live) >= self.max_messages:
                return False
            stale = sorted(set(sends) - set(live) - {send_key})  # a path may not be both SET and REMOVEd
            names = {"#sends": "sends", "#k": send_key, "#v": "version", "#x": "expires_at"}
            remove = []
            for i, old in enumerate(stale):
                names[f"#o{i}"] = old
                remove.append(f"#sends.#o{i}")
            values: dict[str, Any] = {
                ":now": {"N": repr(now)},
                ":next": {"N": str(version + 1)},
                ":expires": {"N": str(int(now + self.window_seconds) + 1)},
            }
            if version:
                condition = "#v = :version"
                values[":version"] = {"N": str(version)}
                update = "SET #sends.#k = :now, #v = :next, #x = :expires"
            else:
                condition = "attribute_not_exists(#v)"
                values[":first"] = {"M": {send_key: {"N": repr(now)}}}
                update = "SET #sends = :first, #v = :next, #x = :expires"
                names.pop("#k")
                values.pop(":now")  # DynamoDB rejects unused values
            if remove:
                update += " REMOVE " + ", ".join(remove)
            try:
                self.client.update_item(
                    TableName=self.table_name,
                    Key={self.partition_key: {"S": subject}},
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
                return True
            except Exception as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
        self.dropped_on_conflict += 1
        return False

    def apply(self, event: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        campaign = str(event.get("CampaignId") or event.get("JourneyId") or "")
        treatment = str(event.get("TreatmentId") or "0")
        out: dict[str, dict[str, Any]] = {}
        for endpoint_id, endpoint in endpoints_of(event).items():
            if self.admit(self._subject(endpoint_id, endpoint), f"{campaign}#{treatment}#{endpoint_id}"):
                out[endpoint_id] = endpoint
        return out


__all__ = ["FrequencyCap", "FrequencyCapSettings"]
