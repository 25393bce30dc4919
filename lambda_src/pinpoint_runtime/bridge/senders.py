"""What the bridge sends with: its origination identity and configuration set, and one ``SmsSender`` per
configuration set a request may pick, all sharing one client and opt-out policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pinpoint_runtime.core.environment import SettingsError
from pinpoint_runtime.sms.sender import SmsSender, SmsSenderSettings

if TYPE_CHECKING:
    from pinpoint_runtime.sms.opt_out_settings import OptOutRegistrySettings


def opt_out_policy(settings: OptOutRegistrySettings | None) -> Callable[[str, str], bool] | None:
    """The opt-out registry's ``may_send`` when the function has one bound (``SelfManagedOptOut.bind_may_send``)."""
    if settings is None:
        return None
    from pinpoint_runtime.sms.opt_out import OptOutRegistry  # noqa: PLC0415 - only functions bound to a registry

    return OptOutRegistry(settings.table_name).may_send


def configuration_set_senders(
    settings: SmsSenderSettings, *, may_send: Callable[[str, str], bool] | None = None, client: Any = None
) -> ConfigurationSetSenders:
    """The senders of a function's :class:`~pinpoint_runtime.sms.sender.SmsSenderSettings` (the bridge always
    writes its origination identity), checking ``may_send`` (when given) first."""
    if not settings.origination_identity:
        raise SettingsError("SMS_ORIGINATION_IDENTITY is not set (AdobeSmsBridge writes it on its send functions)")
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


__all__ = ["ConfigurationSetSenders", "configuration_set_senders", "opt_out_policy"]
