"""The Adobe Journey Optimizer (AJO) custom action → SMS bridge.

Modules: :mod:`~pinpoint_runtime.bridge.contract` (the request contract), :mod:`~pinpoint_runtime.bridge.responses`
(the status codes AJO acts on), :mod:`~pinpoint_runtime.bridge.idempotency` (the DynamoDB claims that make the
bridge idempotent), :mod:`~pinpoint_runtime.bridge.send` (the send service behind the API),
:mod:`~pinpoint_runtime.bridge.jobs` and :mod:`~pinpoint_runtime.bridge.consumer` (the send queue and its
rate-limited consumer), :mod:`~pinpoint_runtime.bridge.senders` (a sender per configuration set),
:mod:`~pinpoint_runtime.bridge.api_keys` (the authorizer's API keys in Secrets Manager) and
:mod:`~pinpoint_runtime.bridge.settings`. Phone numbers are logged masked, bodies and keys never.
"""
