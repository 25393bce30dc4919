"""One ``SmsSender`` per configuration set a request may pick, all sharing one client and policy."""

from __future__ import annotations

from typing import Any


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


__all__ = ["ConfigurationSetSenders"]
