"""Self-managed SMS opt-outs, the send gate: :func:`may_send`, what every send path of the library consults.

``PROMOTIONAL`` messages may go only to OPTED_IN numbers; ``TRANSACTIONAL`` ones to everyone except OPTED_OUT_ALL.
A number never seen is OPTED_IN. STOP puts the number on the two-way identity's opt-out list, so the service
itself refuses *every* send from identities that use that list; the transactional allowance matters for
identities with other lists (e.g. a one-time-password sender). STOPALL is checked by every send path that consults
``may_send``.

The parts of self-managed opt-outs: the registry of states and history (:mod:`pinpoint_runtime.sms.opt_out_registry`),
the keyword flow of STOP, START and HELP (:mod:`pinpoint_runtime.sms.opt_out_processor`), its opt-out list calls
(:mod:`pinpoint_runtime.sms.opt_out_list`) and events (:mod:`pinpoint_runtime.sms.opt_out_events`). This module
also provides the registry's names other domains use (``OptOutRegistry``, ``OptOutRegistrySettings``,
``OptOutState``, ``OptOutError``).
"""

from __future__ import annotations

from pinpoint_runtime.sms.opt_out_registry import (
    OptOutError,
    OptOutRegistry,
    OptOutRegistrySettings,
    OptOutState,
    RegistryConflictError,
)
from pinpoint_runtime.sms.sender import MessageType

_default_registry: OptOutRegistry | None = None


def default_registry() -> OptOutRegistry:
    """The process's registry, configured from ``OPT_OUT_REGISTRY_TABLE`` on first use."""
    global _default_registry  # noqa: PLW0603 (one registry per Lambda process, made on first use)
    if _default_registry is None:
        _default_registry = OptOutRegistry()
    return _default_registry


def may_send(number: str, message_type: MessageType | str) -> bool:
    """:meth:`OptOutRegistry.may_send` on :func:`default_registry` (what send paths pass to ``SmsSender``).

    Fails closed: a missing table name raises ``ValueError`` and registry errors raise :class:`OptOutError`.
    """
    return default_registry().may_send(number, message_type)


__all__ = [
    "OptOutError",
    "OptOutRegistry",
    "OptOutRegistrySettings",
    "OptOutState",
    "RegistryConflictError",
    "default_registry",
    "may_send",
]
