"""Built-in campaign hooks with Pinpoint's campaign-hook contract (filter/augment up to 50 endpoints per call).

One module per built-in (:mod:`.attribute_lookup`, :mod:`.external_templates`, :mod:`.frequency_cap`); what they
share (key types, the configuration error, the Lambda entry point) is :mod:`.contract`.
"""

from pinpoint_runtime.campaigns.hooks.attribute_lookup import AttributeLookup, AttributeLookupSettings
from pinpoint_runtime.campaigns.hooks.contract import HookConfigurationError, HookEntryPoint, KeyType
from pinpoint_runtime.campaigns.hooks.external_templates import (
    ExternalTemplates,
    ExternalTemplatesSettings,
    OnMissingTemplate,
    TemplateNotFound,
)
from pinpoint_runtime.campaigns.hooks.frequency_cap import FrequencyCap, FrequencyCapSettings

__all__ = [
    "AttributeLookup",
    "AttributeLookupSettings",
    "ExternalTemplates",
    "ExternalTemplatesSettings",
    "FrequencyCap",
    "FrequencyCapSettings",
    "HookConfigurationError",
    "HookEntryPoint",
    "KeyType",
    "OnMissingTemplate",
    "TemplateNotFound",
]
