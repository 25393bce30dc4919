"""The settings of self-managed opt-outs: the keyword flow's (:mod:`pinpoint_runtime.sms.opt_out_processor`) and
the registry's (:mod:`pinpoint_runtime.sms.opt_out_registry`, read by every send path that checks opt-outs).

Their own module, importing nothing heavy, so that a handler may declare them in ``SETTINGS`` and the inbound
function can tell whether ``SelfManagedOptOut`` is attached before it imports the opt-out processor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pinpoint_runtime.core.environment import FunctionSettings, variable


@dataclass(frozen=True, kw_only=True)
class OptOutProcessorSettings(FunctionSettings):
    """The opt-out list and event bus of the function that answers keywords (``SelfManagedOptOut`` writes them,
    with :class:`~pinpoint_runtime.sms.keywords.KeywordSettings` and
    :class:`~pinpoint_runtime.sms.opt_out_registry.OptOutRegistrySettings`)."""

    construct: ClassVar[str] = "SelfManagedOptOut"
    opt_out_list_name: str = variable("OPT_OUT_LIST_NAME", doc="the two-way identity's opt-out list")
    event_bus_name: str | None = variable(
        "OPT_OUT_EVENT_BUS_NAME", default=None, doc="where the opt-out/opt-in events go (none: no events)"
    )


@dataclass(frozen=True, kw_only=True)
class OptOutRegistrySettings(FunctionSettings):
    """What a send path that checks opt-outs reads (``SelfManagedOptOut.bind_may_send`` writes it)."""

    construct: ClassVar[str] = "SelfManagedOptOut"
    table_name: str = variable("OPT_OUT_REGISTRY_TABLE", doc="the opt-out registry's DynamoDB table")


__all__ = ["OptOutProcessorSettings", "OptOutRegistrySettings"]
