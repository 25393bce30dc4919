"""The opt-out list calls of self-managed opt-outs: PutOptedOutNumber, and DeleteOptedOutNumber under the 30-day rule.

The service removes a number from an opt-out list at most once every 30 days: this code skips a removal it made
less than 30 days ago (the registry's ``last_list_removal_at``) and treats the service's own refusal as "still on
the list". Both calls are idempotent, so a retried SQS message repeats them safely. Logs and errors carry masked
numbers only.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pinpoint_runtime.core.aws_clients import error_code
from pinpoint_runtime.phone import mask_phone_number
from pinpoint_runtime.sms.opt_out_registry import (
    RETRYABLE_ERROR_CODES,
    OptOutError,
    OptOutStatus,
    error_details,
    iso_registry_time,
)

LIST_REMOVAL_INTERVAL = timedelta(days=30)
"""The service removes a number from an opt-out list at most once every 30 days."""

_LOGGER = logging.getLogger(__name__)


def remove_from_opt_out_list(
    sms_client: Any, opt_out_list_name: str, number: str, current: OptOutStatus, now: datetime
) -> tuple[bool, datetime | None, str | None]:
    """DeleteOptedOutNumber under the 30-day rule: (still on the list, removal time, note).

    Skipped (with the reason logged) when this code removed the number less than 30 days ago; a refusal of the
    service for the same reason is noted, not raised; any other failure raises :class:`OptOutError`."""
    masked = mask_phone_number(number)
    last = current.last_list_removal_at
    if last is not None and now - last < LIST_REMOVAL_INTERVAL:
        allowed = iso_registry_time(last + LIST_REMOVAL_INTERVAL)
        _LOGGER.warning(
            "opt-in from %s recorded, but the number stays on opt-out list %s: it was removed from it at %s and "
            "the service allows one removal per number every 30 days (next possible at %s)",
            masked,
            opt_out_list_name,
            iso_registry_time(last),
            allowed,
        )
        return True, None, f"removed from the opt-out list less than 30 days ago; removal possible after {allowed}"
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        sms_client.delete_opted_out_number(OptOutListName=opt_out_list_name, OptedOutNumber=number)
    except ClientError as error:
        code, reason, response = error_details(error)
        resource_type = response.get("ResourceType")
        if code == "ResourceNotFoundException" and resource_type != "opt-out-list":
            _LOGGER.info("opt-in from %s: the number was not on opt-out list %s", masked, opt_out_list_name)
            return False, None, None
        if code == "ConflictException" or (
            code == "ValidationException" and reason == "PHONE_NUMBER_CANNOT_BE_OPTED_IN"
        ):
            label = f"{code} ({reason})" if reason else code
            _LOGGER.warning(
                "opt-in from %s recorded, but DeleteOptedOutNumber was refused (%s): the service allows one "
                "removal per number every 30 days; the number stays on opt-out list %s",
                masked,
                label,
                opt_out_list_name,
            )
            return True, None, f"the service refused the removal from the opt-out list ({label})"
        raise OptOutError(
            f"DeleteOptedOutNumber for {masked} on list {opt_out_list_name} failed: {code}",
            code=code,
            retryable=code in RETRYABLE_ERROR_CODES,
        ) from None
    return False, now, None


def put_on_opt_out_list(sms_client: Any, opt_out_list_name: str, number: str) -> None:
    """PutOptedOutNumber (idempotent); :class:`OptOutError` when it fails."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        sms_client.put_opted_out_number(OptOutListName=opt_out_list_name, OptedOutNumber=number)
    except ClientError as error:
        code = error_code(error, type(error).__name__)
        raise OptOutError(
            f"PutOptedOutNumber for {mask_phone_number(number)} on list {opt_out_list_name} failed: {code}",
            code=code,
            retryable=code in RETRYABLE_ERROR_CODES,
        ) from None


__all__ = ["LIST_REMOVAL_INTERVAL", "put_on_opt_out_list", "remove_from_opt_out_list"]
