"""pinpoint_runtime.campaigns.steps.invoker: bounded attempts, undecodable answers not retried."""

from __future__ import annotations

import io

import pytest

from pinpoint_runtime.campaigns.steps.invoker import FunctionInvoker, HookFailed


def test_the_invoker_bounds_attempts_and_does_not_retry_an_undecodable_answer():
    class NotJson:
        calls = 0

        def invoke(self, **kwargs):
            NotJson.calls += 1
            return {"Payload": io.BytesIO(b"<html>")}

    with pytest.raises(HookFailed, match="not JSON"):
        FunctionInvoker(client=NotJson(), sleep=lambda s: None).invoke("f", {})
    assert NotJson.calls == 1
