"""The Adobe Journey Optimizer (AJO) custom action → SMS bridge.

Modules: :mod:`~pinpoint_runtime.bridge.contract` (the request contract), :mod:`~pinpoint_runtime.bridge.responses`
(the status codes AJO acts on), :mod:`~pinpoint_runtime.bridge.idempotency` (the DynamoDB claims that make the
bridge idempotent), :mod:`~pinpoint_runtime.bridge.send` (the send service behind the API),
:mod:`~pinpoint_runtime.bridge.jobs` and :mod:`~pinpoint_runtime.bridge.consumer` (the send queue and its
rate-limited consumer), :mod:`~pinpoint_runtime.bridge.senders` (a sender per configuration set),
:mod:`~pinpoint_runtime.bridge.api_keys` (the API keys in Secrets Manager), :mod:`~pinpoint_runtime.bridge.authorizer`
(the Lambda authorizer), :mod:`~pinpoint_runtime.bridge.api_events` (API Gateway events in and out) and
:mod:`~pinpoint_runtime.bridge.errors`. Each function's settings live with the module that reads them
(``BridgeSendSettings`` in ``send``, ``BridgeConsumerSettings`` in ``consumer``, ``IdempotencyStoreSettings`` in
``idempotency``, ``AuthorizerSettings`` in ``authorizer``; the sender's are ``sms.sender.SmsSenderSettings``).
Phone numbers are logged masked, bodies and keys never.
"""
