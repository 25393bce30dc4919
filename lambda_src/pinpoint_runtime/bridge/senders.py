"""What the bridge sends with: its origination identity and configuration set, and one ``SmsSender`` per
configuration set a request may pick, all sharing one client and opt-out policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pinpoint_runtime.core.environment import FunctionSettings, variable

if TYPE_CHECKING:
    from pinpoint_runtime.sms.opt_out import OptOutRegistrySettings


@dataclass(frozen=True, kw_only=True)
class BridgeSenderSettings(FunctionSettings):
    """The identity and configuration set the send function (inline mode) and the consumer send with.

    The variable names are the ``SmsSender``'s own (``SMS_ORIGINATION_IDENTITY``, ``SMS_CONFIGURATION_SET``).
    """

    construct: ClassVar[str] = "AdobeSmsBridge"
    origination_identity: str = variable(
        "SMS_ORIGINATION_IDENTITY", doc="the phone number / pool / sender id (id or ARN) messages are sent from"
    )
    configuration_set_name: str | None = variable(
        "SMS_CONFIGURATION_SET", default=None, doc="the configuration set of the sends (delivery events)"
    )


def opt_out_policy(settings: OptOutRegistrySettings | None) -> Callable[[str, str], bool] | None:
    """The opt-out registry's ``may_send`` when the function has one bound (``SelfManagedOptOut.bind_may_send``)."""
    if settings is None:
        return None
    from pinpoint_runtime.sms.opt_out import OptOutRegistry  # noqa: PLC0415 - only functions bound to a registry

    return OptOutRegistry(settings.table_name).may_send


def configuration_set_senders(
    settings: BridgeSenderSettings, *, may_send: Callable[[str, str], bool] | None = None, client: Any = None
) -> ConfigurationSetSenders:
    """The senders of a function's :class:`BridgeSenderSettings`, checking ``may_send`` (when given) first."""
    from pinpoint_runtime.sms.sender import SmsSender  # noqa: PLC0415 - the sender's imports only where it sends

    return ConfigurationSetSenders(
        SmsSender(
            origination_identity=settings.origination_identity,
            configuration_set_name=settings.configuration_set_name,
            client=client,
            may_send=may_send,
        )
    )


class ConfigurationSetSenders:
    """``send_text`` with a per-call ``configuration_set_name`` on top of one ``SmsSender``: one sender per
    configuration set, all sharing the first one's client, origination identity and ``may_send`` policy."""

    def __init__(self, sender: Any) -> None:
        self.default = sender
        self.origination_identity = sender.origination_identity
        self._by_set: dict[str, Any] = {}

    def send_text(
        self, destination: str, body: str, *, configuration_set_name: str | None = None, **kwargs: Any
    ) -> str:
        return self.sender_for(configuration_set_name).send_text(destination, body, **kwargs)

    def sender_for(self, configuration_set_name: str | None) -> Any:
        if not configuration_set_name or configuration_set_name == self.default.configuration_set_name:
            return self.default
        sender = self._by_set.get(configuration_set_name)
        if sender is None:
            sender = self._by_set[configuration_set_name] = type(self.default)(
                origination_identity=self.default.origination_identity,
                configuration_set_name=configuration_set_name,
                client=self.default.client,
                may_send=self.default.may_send,
            )
        return sender


__all__ = ["BridgeSenderSettings", "ConfigurationSetSenders", "configuration_set_senders", "opt_out_policy"]
