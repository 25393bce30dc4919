"""An in-process fake of the boto3 ``pinpoint-sms-voice-v2`` client (AWS End User Messaging SMS).

moto has no backend for this service, so tests of the library's SMS code use this fake (or botocore's
``Stubber``). It implements the operations the library calls -- ``send_text_message``, ``put_opted_out_number``,
``delete_opted_out_number``, ``describe_opted_out_numbers``, ``describe_phone_numbers``, ``describe_pools``,
``update_phone_number``, ``update_pool`` -- with state (phone numbers, pools, opt-out lists), and it checks every
request against botocore's real service model, in the two layers a real client meets:

1. **client side** -- ``botocore.validate.ParamValidator``, exactly what a boto3 client runs before sending:
   unknown parameters, missing required parameters, wrong types and values under the model's ``min`` raise
   ``botocore.exceptions.ParamValidationError`` (no call is recorded as reaching the service);
2. **service side** -- the constraints botocore does not check: ``max`` lengths and sizes, enums and ``pattern``s
   (matched against the whole value, as the service does). A violation raises the service's
   ``ValidationException`` (``Reason`` ``FIELD_VALIDATION_FAILED`` and ``Fields`` naming the parameter path).

Errors are raised as the modelled exception classes of a real client (``fake.exceptions.ConflictException`` is
a ``botocore.exceptions.ClientError`` subclass), with the parsed-response shape botocore produces: ``Error.Code``,
``Error.Message`` and the modelled fields (``Reason``, ``ResourceType``, ``ResourceId``) at the top level.
Every response is itself checked against the model's output shape, so the fake cannot drift from it.

Behaviour worth knowing:

* a send to a number on the opt-out list of the origination identity (the ``Default`` list when no identity is
  given or the identity is not registered in the fake) raises ``ConflictException`` with ``Reason``
  ``DESTINATION_PHONE_NUMBER_OPTED_OUT``; ``strict_identities=True`` makes unknown identities a
  ``ResourceNotFoundException`` instead;
* **30-day rule**: the service documents that "each destination phone number can only be deleted once every 30
  days" from an opt-out list, without naming the error. The fake raises ``ValidationException`` with ``Reason``
  ``PHONE_NUMBER_CANNOT_BE_OPTED_IN`` (the modelled reason that names this case) when a number is deleted from a
  list less than 30 days after its previous deletion from the same list. This is a documented assumption about
  the real error, not an observed response: code should not depend on more than "a ClientError, not retryable";
* ``update_phone_number`` on a number that belongs to a pool raises ``ConflictException``
  (``PHONE_NUMBER_ASSOCIATED_TO_POOL``); enabling two-way without a channel raises ``ValidationException``
  (``TWO_WAY_CHANNEL_NOT_PRESENT``), enabling self-managed opt-outs without two-way raises ``ValidationException``
  (``TWO_WAY_NOT_ENABLED``); an unknown opt-out list is ``ResourceNotFoundException``;
* ``fail_next(operation, code, ...)`` makes the next call(s) of an operation fail (``ThrottlingException`` etc.);
* ``calls`` records every request that reached the "service" (operation name and a deep copy of the params);
  ``sent`` holds the messages actually sent (not dry runs); ``advance(days=...)`` moves the fake's clock.
"""

from __future__ import annotations

import copy
import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import botocore.session
from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import ParamValidationError
from botocore.model import Shape
from botocore.validate import ParamValidator

SERVICE_NAME = "pinpoint-sms-voice-v2"
DEFAULT_OPT_OUT_LIST = "Default"
OPT_IN_WAIT = timedelta(days=30)
"""A number can be deleted from an opt-out list once every 30 days."""

_SERVICE_MODEL = botocore.session.get_session().get_service_model(SERVICE_NAME)
_EXCEPTIONS = ClientExceptionsFactory().create_client_exceptions(_SERVICE_MODEL)

_FILTER_KEYS = {"number-capability": "NumberCapabilities"}
_LIST_RESULT_KEYS = {
    "describe_opted_out_numbers": "OptedOutNumbers",
    "describe_phone_numbers": "PhoneNumbers",
    "describe_pools": "Pools",
}


@dataclass(frozen=True)
class Call:
    """One request that reached the fake service: the boto3 method name and a deep copy of its parameters."""

    operation: str
    params: dict[str, Any]


@dataclass
class _OptedOut:
    timestamp: datetime
    end_user_opted_out: bool


@dataclass
class _OptOutList:
    name: str
    arn: str
    created: datetime
    numbers: dict[str, _OptedOut] = field(default_factory=dict)
    last_deleted: dict[str, datetime] = field(default_factory=dict)


class FakeSmsVoiceV2:
    """In-process ``pinpoint-sms-voice-v2`` client; see the module docstring for what it checks and simulates."""

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        clock: Callable[[], datetime] | None = None,
        strict_identities: bool = False,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.strict_identities = strict_identities
        self.meta = SimpleNamespace(region_name=region, service_model=_SERVICE_MODEL)
        self.exceptions = _EXCEPTIONS
        self.calls: list[Call] = []
        self.sent: list[dict[str, Any]] = []
        self.phone_numbers: dict[str, dict[str, Any]] = {}
        self.pools: dict[str, dict[str, Any]] = {}
        self.opt_out_lists: dict[str, _OptOutList] = {}
        self._clock = clock or (lambda: datetime.now(UTC))
        self._offset = timedelta()
        self._failures: dict[str, list[tuple[str, str | None, str | None]]] = {}
        self._ids = itertools.count(1)
        self.add_opt_out_list(DEFAULT_OPT_OUT_LIST)

    # ------------------------------------------------------------------------------------------ test setup

    def now(self) -> datetime:
        """The fake's current time (the clock plus every :meth:`advance`)."""
        return self._clock() + self._offset

    def advance(self, **delta: float) -> None:
        """Move the fake's clock forward, e.g. ``advance(days=31)``."""
        self._offset += timedelta(**delta)

    def add_opt_out_list(self, name: str) -> str:
        """Create an opt-out list (as ``AWS::SMSVOICE::OptOutList`` would); returns its ARN."""
        if name in self.opt_out_lists:
            raise ValueError(f"opt-out list {name} already exists")
        arn = f"arn:aws:sms-voice:{self.region}:{self.account_id}:opt-out-list/{name}"
        self.opt_out_lists[name] = _OptOutList(name=name, arn=arn, created=self.now())
        return arn

    def add_phone_number(
        self,
        phone_number: str = "+12065550100",
        *,
        pool_id: str | None = None,
        opt_out_list_name: str = DEFAULT_OPT_OUT_LIST,
        two_way_enabled: bool = False,
        two_way_channel_arn: str | None = None,
        two_way_channel_role: str | None = None,
        self_managed_opt_outs_enabled: bool = False,
        number_type: str = "SIMULATOR",
        iso_country_code: str = "US",
    ) -> dict[str, Any]:
        """Register an origination phone number; returns (a copy of) its ``PhoneNumberInformation``."""
        self._opt_out_list(opt_out_list_name)
        if pool_id is not None and pool_id not in self.pools:
            raise ValueError(f"pool {pool_id} does not exist")
        number_id = f"phone-{next(self._ids):032x}"
        info = {
            "PhoneNumberArn": f"arn:aws:sms-voice:{self.region}:{self.account_id}:phone-number/{number_id}",
            "PhoneNumberId": number_id,
            "PhoneNumber": phone_number,
            "Status": "ACTIVE",
            "IsoCountryCode": iso_country_code,
            "MessageType": "TRANSACTIONAL",
            "NumberCapabilities": ["SMS"],
            "NumberType": number_type,
            "MonthlyLeasingPrice": "1.00",
            "TwoWayEnabled": two_way_enabled,
            "SelfManagedOptOutsEnabled": self_managed_opt_outs_enabled,
            "OptOutListName": opt_out_list_name,
            "DeletionProtectionEnabled": False,
            "CreatedTimestamp": self.now(),
        }
        info.update(_compact({"TwoWayChannelArn": two_way_channel_arn, "TwoWayChannelRole": two_way_channel_role}))
        if pool_id is not None:
            info["PoolId"] = pool_id
        self._check_output("DescribePhoneNumbers", {"PhoneNumbers": [info]})
        self.phone_numbers[number_id] = info
        return copy.deepcopy(info)

    def add_pool(
        self,
        *,
        opt_out_list_name: str = DEFAULT_OPT_OUT_LIST,
        two_way_enabled: bool = False,
        two_way_channel_arn: str | None = None,
        two_way_channel_role: str | None = None,
        self_managed_opt_outs_enabled: bool = False,
    ) -> dict[str, Any]:
        """Register a pool; returns (a copy of) its ``PoolInformation``. Add numbers with ``pool_id=``."""
        self._opt_out_list(opt_out_list_name)
        pool_id = f"pool-{next(self._ids):032x}"
        info = {
            "PoolArn": f"arn:aws:sms-voice:{self.region}:{self.account_id}:pool/{pool_id}",
            "PoolId": pool_id,
            "Status": "ACTIVE",
            "MessageType": "TRANSACTIONAL",
            "TwoWayEnabled": two_way_enabled,
            "SelfManagedOptOutsEnabled": self_managed_opt_outs_enabled,
            "OptOutListName": opt_out_list_name,
            "SharedRoutesEnabled": False,
            "DeletionProtectionEnabled": False,
            "CreatedTimestamp": self.now(),
        }
        info.update(_compact({"TwoWayChannelArn": two_way_channel_arn, "TwoWayChannelRole": two_way_channel_role}))
        self._check_output("DescribePools", {"Pools": [info]})
        self.pools[pool_id] = info
        return copy.deepcopy(info)

    def end_user_opt_out(self, number: str, list_name: str = DEFAULT_OPT_OUT_LIST) -> None:
        """Simulate a recipient's STOP handled by the service (``EndUserOptedOut`` true)."""
        self._opt_out_list(list_name).numbers[number] = _OptedOut(self.now(), end_user_opted_out=True)

    def opted_out_numbers(self, list_name: str = DEFAULT_OPT_OUT_LIST) -> set[str]:
        """The numbers currently on an opt-out list."""
        return set(self._opt_out_list(list_name).numbers)

    def fail_next(
        self,
        operation: str,
        code: str = "ThrottlingException",
        *,
        reason: str | None = None,
        message: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``operation`` (boto3 method name) fail with a modelled error."""
        if not hasattr(self, operation) or operation not in _operation_names():
            raise ValueError(f"{operation} is not an operation of the fake")
        if code not in {shape.name for shape in _SERVICE_MODEL.operation_model(_op(operation)).error_shapes}:
            raise ValueError(f"{code} is not an error {operation} can return")
        self._failures.setdefault(operation, []).extend([(code, reason, message)] * times)

    def calls_to(self, operation: str) -> list[dict[str, Any]]:
        """The params of every recorded call of one operation, in order."""
        return [call.params for call in self.calls if call.operation == operation]

    # ------------------------------------------------------------------------------------------ operations

    def send_text_message(self, **params: Any) -> dict[str, Any]:
        self._begin("send_text_message", params)
        identity = params.get("OriginationIdentity")
        list_name = DEFAULT_OPT_OUT_LIST
        if identity is not None:
            resolved = self._resolve_identity(identity)
            if resolved is not None:
                list_name = resolved["OptOutListName"]
            elif self.strict_identities:
                raise self._error(
                    "SendTextMessage",
                    "ResourceNotFoundException",
                    "Origination identity not found",
                    ResourceType="phone-number",
                    ResourceId=identity,
                )
        destination = params["DestinationPhoneNumber"]
        if destination in self._opt_out_list(list_name).numbers:
            raise self._error(
                "SendTextMessage",
                "ConflictException",
                "The destination phone number is opted out",
                Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT",
                ResourceType="opted-out-number",
                ResourceId=destination,
            )
        message_id = str(uuid.uuid4())
        if not params.get("DryRun"):
            self.sent.append({"MessageId": message_id, **copy.deepcopy(params)})
        return self._respond("SendTextMessage", {"MessageId": message_id})

    def put_opted_out_number(self, **params: Any) -> dict[str, Any]:
        self._begin("put_opted_out_number", params)
        opt_out_list = self._existing_list("PutOptedOutNumber", params["OptOutListName"])
        number = params["OptedOutNumber"]
        entry = opt_out_list.numbers.get(number)
        if entry is None:
            entry = opt_out_list.numbers[number] = _OptedOut(self.now(), end_user_opted_out=False)
        return self._respond("PutOptedOutNumber", self._opted_out_result(opt_out_list, number, entry))

    def delete_opted_out_number(self, **params: Any) -> dict[str, Any]:
        self._begin("delete_opted_out_number", params)
        opt_out_list = self._existing_list("DeleteOptedOutNumber", params["OptOutListName"])
        number = params["OptedOutNumber"]
        entry = opt_out_list.numbers.get(number)
        if entry is None:
            raise self._error(
                "DeleteOptedOutNumber",
                "ResourceNotFoundException",
                "Opted out number not found",
                ResourceType="opted-out-number",
                ResourceId=number,
            )
        now = self.now()
        previous = opt_out_list.last_deleted.get(number)
        if previous is not None and now - previous < OPT_IN_WAIT:
            raise self._error(
                "DeleteOptedOutNumber",
                "ValidationException",
                "Each destination phone number can only be deleted once every 30 days",
                Reason="PHONE_NUMBER_CANNOT_BE_OPTED_IN",
            )
        del opt_out_list.numbers[number]
        opt_out_list.last_deleted[number] = now
        result = self._opted_out_result(opt_out_list, number, _OptedOut(now, entry.end_user_opted_out))
        return self._respond("DeleteOptedOutNumber", result)

    def describe_opted_out_numbers(self, **params: Any) -> dict[str, Any]:
        self._begin("describe_opted_out_numbers", params)
        opt_out_list = self._existing_list("DescribeOptedOutNumbers", params["OptOutListName"])
        wanted = params.get("OptedOutNumbers")
        items = [
            {
                "OptedOutNumber": number,
                "OptedOutTimestamp": entry.timestamp,
                "EndUserOptedOut": entry.end_user_opted_out,
            }
            for number, entry in sorted(opt_out_list.numbers.items())
            if wanted is None or number in wanted
        ]
        items = self._filtered(items, params.get("Filters"), {"end-user-opted-out": "EndUserOptedOut"})
        page, token = self._page("DescribeOptedOutNumbers", items, params)
        result = {"OptOutListArn": opt_out_list.arn, "OptOutListName": opt_out_list.name, "OptedOutNumbers": page}
        return self._respond("DescribeOptedOutNumbers", _compact({**result, "NextToken": token}))

    def describe_phone_numbers(self, **params: Any) -> dict[str, Any]:
        self._begin("describe_phone_numbers", params)
        ids = params.get("PhoneNumberIds")
        if ids:
            items = [self._existing_phone_number("DescribePhoneNumbers", number_id) for number_id in ids]
        else:
            items = list(self.phone_numbers.values())
        items = self._filtered(items, params.get("Filters"), {})
        page, token = self._page("DescribePhoneNumbers", items, params)
        return self._respond("DescribePhoneNumbers", _compact({"PhoneNumbers": page, "NextToken": token}))

    def describe_pools(self, **params: Any) -> dict[str, Any]:
        self._begin("describe_pools", params)
        ids = params.get("PoolIds")
        items = [self._existing_pool("DescribePools", pool_id) for pool_id in ids] if ids else list(self.pools.values())
        items = self._filtered(items, params.get("Filters"), {})
        page, token = self._page("DescribePools", items, params)
        return self._respond("DescribePools", _compact({"Pools": page, "NextToken": token}))

    def update_phone_number(self, **params: Any) -> dict[str, Any]:
        self._begin("update_phone_number", params)
        info = self._existing_phone_number("UpdatePhoneNumber", params["PhoneNumberId"])
        if info.get("PoolId"):
            raise self._error(
                "UpdatePhoneNumber",
                "ConflictException",
                f"Phone number is associated with pool {info['PoolId']}; update the pool instead",
                Reason="PHONE_NUMBER_ASSOCIATED_TO_POOL",
                ResourceType="phone-number",
                ResourceId=info["PhoneNumberId"],
            )
        self._apply_update("UpdatePhoneNumber", info, params, "PhoneNumberId")
        result = {key: value for key, value in info.items() if key not in ("PoolId", "MessagingLimits", "PricingTier")}
        return self._respond("UpdatePhoneNumber", result)

    def update_pool(self, **params: Any) -> dict[str, Any]:
        self._begin("update_pool", params)
        info = self._existing_pool("UpdatePool", params["PoolId"])
        self._apply_update("UpdatePool", info, params, "PoolId")
        return self._respond("UpdatePool", dict(info))

    def get_paginator(self, operation: str) -> Any:
        """A minimal paginator for the describe operations (``paginate(**params)`` yields pages)."""
        if operation not in _LIST_RESULT_KEYS:
            raise ValueError(f"the fake cannot paginate {operation}")
        method = getattr(self, operation)

        def paginate(**params: Any) -> Iterator[dict[str, Any]]:
            params = dict(params)
            while True:
                page = method(**params)
                yield page
                if not page.get("NextToken"):
                    return
                params["NextToken"] = page["NextToken"]

        return SimpleNamespace(paginate=paginate)

    # ------------------------------------------------------------------------------------------ internals

    def _begin(self, operation: str, params: dict[str, Any]) -> None:
        """Client-side then service-side validation, call recording, injected failures."""
        operation_model = _SERVICE_MODEL.operation_model(_op(operation))
        report = ParamValidator().validate(params, operation_model.input_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        self.calls.append(Call(operation, copy.deepcopy(params)))
        problems = list(_constraint_problems(params, operation_model.input_shape, ""))
        if problems:
            raise self._error(
                operation_model.name,
                "ValidationException",
                problems[0][1],
                Reason="FIELD_VALIDATION_FAILED",
                Fields=[{"Name": name, "Message": message} for name, message in problems],
            )
        queue = self._failures.get(operation)
        if queue:
            code, reason, message = queue.pop(0)
            raise self._error(operation_model.name, code, message or f"Injected {code}", **_compact({"Reason": reason}))

    def _error(self, operation_name: str, code: str, message: str, **modeled: Any) -> Exception:
        status = 500 if code == "InternalServerException" else 400
        response = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "RequestId": str(uuid.uuid4()),
                "HTTPStatusCode": status,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
            "Message": message,
            **modeled,
        }
        error_shape = _SERVICE_MODEL.shape_for(code)
        unknown = set(modeled) - set(error_shape.members)
        assert not unknown, f"{code} has no members {unknown}"
        return self.exceptions.from_code(code)(response, operation_name)

    def _respond(self, operation_name: str, result: dict[str, Any]) -> dict[str, Any]:
        result = copy.deepcopy(result)
        self._check_output(operation_name, result)
        result["ResponseMetadata"] = {
            "RequestId": str(uuid.uuid4()),
            "HTTPStatusCode": 200,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        }
        return result

    @staticmethod
    def _check_output(operation_name: str, result: dict[str, Any]) -> None:
        shape = _SERVICE_MODEL.operation_model(operation_name).output_shape
        report = ParamValidator().validate(result, shape)
        problems = list(_constraint_problems(result, shape, ""))
        assert not report.has_errors() and not problems, (
            f"the fake's {operation_name} response does not match the model: "
            f"{report.generate_report() if report.has_errors() else problems}"
        )

    def _opt_out_list(self, name_or_arn: str) -> _OptOutList:
        for opt_out_list in self.opt_out_lists.values():
            if name_or_arn in (opt_out_list.name, opt_out_list.arn):
                return opt_out_list
        raise ValueError(f"opt-out list {name_or_arn} does not exist")

    def _existing_list(self, operation_name: str, name_or_arn: str) -> _OptOutList:
        try:
            return self._opt_out_list(name_or_arn)
        except ValueError:
            raise self._error(
                operation_name,
                "ResourceNotFoundException",
                "Opt-out list not found",
                ResourceType="opt-out-list",
                ResourceId=name_or_arn,
            ) from None

    def _existing_phone_number(self, operation_name: str, id_or_arn: str) -> dict[str, Any]:
        for info in self.phone_numbers.values():
            if id_or_arn in (info["PhoneNumberId"], info["PhoneNumberArn"]):
                return info
        raise self._error(
            operation_name,
            "ResourceNotFoundException",
            "Phone number not found",
            ResourceType="phone-number",
            ResourceId=id_or_arn,
        )

    def _existing_pool(self, operation_name: str, id_or_arn: str) -> dict[str, Any]:
        for info in self.pools.values():
            if id_or_arn in (info["PoolId"], info["PoolArn"]):
                return info
        raise self._error(
            operation_name, "ResourceNotFoundException", "Pool not found", ResourceType="pool", ResourceId=id_or_arn
        )

    def _resolve_identity(self, identity: str) -> dict[str, Any] | None:
        for info in self.phone_numbers.values():
            if identity in (info["PhoneNumberId"], info["PhoneNumberArn"], info["PhoneNumber"]):
                return info
        for info in self.pools.values():
            if identity in (info["PoolId"], info["PoolArn"]):
                return info
        return None

    def _apply_update(self, operation_name: str, info: dict[str, Any], params: dict[str, Any], id_key: str) -> None:
        if "OptOutListName" in params:
            params_list = self._existing_list(operation_name, params["OptOutListName"])
        updated = dict(info)
        for key in (
            "TwoWayEnabled",
            "TwoWayChannelArn",
            "TwoWayChannelRole",
            "SelfManagedOptOutsEnabled",
            "DeletionProtectionEnabled",
            "SharedRoutesEnabled",
            "InternationalSendingEnabled",
        ):
            if key in params:
                updated[key] = params[key]
        if "OptOutListName" in params:
            updated["OptOutListName"] = params_list.name
        if updated["TwoWayEnabled"] and not updated.get("TwoWayChannelArn"):
            raise self._error(
                operation_name,
                "ValidationException",
                "Two-way channel is not present",
                Reason="TWO_WAY_CHANNEL_NOT_PRESENT",
            )
        if updated["SelfManagedOptOutsEnabled"] and not updated["TwoWayEnabled"]:
            raise self._error(
                operation_name,
                "ValidationException",
                "Self-managed opt-outs need two-way messaging enabled",
                Reason="TWO_WAY_NOT_ENABLED",
            )
        info.clear()
        info.update(updated)

    @staticmethod
    def _opted_out_result(opt_out_list: _OptOutList, number: str, entry: _OptedOut) -> dict[str, Any]:
        return {
            "OptOutListArn": opt_out_list.arn,
            "OptOutListName": opt_out_list.name,
            "OptedOutNumber": number,
            "OptedOutTimestamp": entry.timestamp,
            "EndUserOptedOut": entry.end_user_opted_out,
        }

    @staticmethod
    def _filtered(
        items: list[dict[str, Any]], filters: list[dict[str, Any]] | None, keys: dict[str, str]
    ) -> list[dict[str, Any]]:
        for item_filter in filters or ():
            name = item_filter["Name"]
            key = keys.get(name) or _FILTER_KEYS.get(name) or "".join(part.capitalize() for part in name.split("-"))
            values = set(item_filter["Values"])

            def matches(item: dict[str, Any], key: str = key, values: set[str] = values) -> bool:
                value = item.get(key)
                candidates = value if isinstance(value, list) else [value]
                return any(_filter_text(candidate) in values for candidate in candidates)

            items = [item for item in items if matches(item)]
        return items

    def _page(
        self, operation_name: str, items: list[dict[str, Any]], params: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], str | None]:
        start = 0
        token = params.get("NextToken")
        if token is not None:
            if not token.isdigit() or int(token) > len(items):
                raise self._error(
                    operation_name, "ValidationException", "Invalid NextToken", Reason="INVALID_NEXT_TOKEN"
                )
            start = int(token)
        size = params.get("MaxResults", 100)
        end = start + size
        return items[start:end], (str(end) if end < len(items) else None)


# ---------------------------------------------------------------------------------------------- model checks


def _op(method_name: str) -> str:
    """``send_text_message`` -> ``SendTextMessage``."""
    return "".join(part.capitalize() for part in method_name.split("_"))


def _operation_names() -> set[str]:
    return {
        "send_text_message",
        "put_opted_out_number",
        "delete_opted_out_number",
        "describe_opted_out_numbers",
        "describe_phone_numbers",
        "describe_pools",
        "update_phone_number",
        "update_pool",
    }


def _constraint_problems(value: Any, shape: Shape, path: str) -> Iterator[tuple[str, str]]:
    """(parameter path, message) for each model constraint botocore's client does not enforce.

    Checks ``max`` (length of strings, lists and maps; value of numbers), ``min`` of numbers and lengths (again,
    harmlessly), ``enum`` and ``pattern`` (the whole value must match). Types and required members are left to
    ``ParamValidator``, which runs first.
    """
    label = path or shape.name
    metadata = shape.metadata
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                yield from _constraint_problems(value[name], member, f"{path}.{name}" if path else name)
        return
    if shape.type_name == "list" and isinstance(value, list):
        yield from _size_problems(len(value), metadata, label, "items")
        for index, item in enumerate(value):
            yield from _constraint_problems(item, shape.member, f"{label}[{index}]")
        return
    if shape.type_name == "map" and isinstance(value, dict):
        yield from _size_problems(len(value), metadata, label, "entries")
        for key, item in value.items():
            yield from _constraint_problems(key, shape.key, f"{label}.key")
            yield from _constraint_problems(item, shape.value, f"{label}[{key}]")
        return
    if shape.type_name == "string" and isinstance(value, str):
        yield from _size_problems(len(value), metadata, label, "characters")
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            yield label, f"{label} must be one of {', '.join(enum)}"
        pattern = metadata.get("pattern")
        if pattern is not None and not _pattern(pattern).fullmatch(value):
            yield label, f"{label} must match the pattern {pattern}"
        return
    if shape.type_name in ("integer", "long", "float", "double") and not isinstance(value, bool):
        if "min" in metadata and value < metadata["min"]:
            yield label, f"{label} must be at least {metadata['min']}"
        if "max" in metadata and value > metadata["max"]:
            yield label, f"{label} must be at most {metadata['max']}"


def _size_problems(size: int, metadata: dict[str, Any], label: str, unit: str) -> Iterator[tuple[str, str]]:
    if "min" in metadata and size < metadata["min"]:
        yield label, f"{label} must have at least {metadata['min']} {unit}"
    if "max" in metadata and size > metadata["max"]:
        yield label, f"{label} must have at most {metadata['max']} {unit}"


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(pattern: str) -> re.Pattern[str]:
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        compiled = _PATTERNS[pattern] = re.compile(pattern)
    return compiled


def _filter_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _compact(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}
