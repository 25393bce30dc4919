"""The EXTERNAL_TEMPLATES hook: S3 (moto) and a real local HTTPS server; answers checked with the
runner's parse_hook_response."""

from __future__ import annotations

import copy
import json

import boto3
import pytest

from pinpoint_runtime.campaigns.hooks.contract import HookConfigurationError
from pinpoint_runtime.campaigns.hooks.external_templates import (
    ExternalTemplates,
    ExternalTemplatesSettings,
    HttpsTemplateSource,
    OnMissingTemplate,
    S3TemplateSource,
    TemplateCache,
    TemplateNotFound,
)
from pinpoint_runtime.campaigns.payloads import parse_hook_response
from pinpoint_runtime.core.https_client import HttpsClient, HttpsError, InsecureUrlError
from tests.support.campaign_hook_events import HOOK_EVENT, bare_endpoints, event, put_templates
from tests.support.local_https import Answer, LocalHttpsServer, client_context


def test_s3_templates_per_locale_with_default_fallback(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    put_templates(
        s3,
        "templates",
        {
            "t/camp-1/0/default.json": {"subject": "Hello", "html": "<p>Hi {{User.UserAttributes.FirstName}}</p>"},
            "t/camp-1/0/fr-FR.json": {"subject": "Bonjour", "html": "<p>Salut</p>", "body": "Salut"},
        },
    )
    endpoints = {**copy.deepcopy(HOOK_EVENT["Endpoints"]), **bare_endpoints()}
    endpoints["ep-2"]["Demographic"] = {"Locale": "fr-FR"}
    endpoints["ep-1"]["Demographic"] = {"Locale": "de-DE"}  # no German document: default
    payload = event(endpoints)

    answer = parse_hook_response(ExternalTemplates(S3TemplateSource("templates", "t/")).apply(payload), endpoints)

    assert answer["ep-2"]["Attributes"] == {"subject": ["Bonjour"], "html": ["<p>Salut</p>"], "body": ["Salut"]}
    assert answer["ep-1"]["Attributes"]["subject"] == ["Hello"] and answer["ep-1"]["Attributes"]["Tier"] == ["gold"]
    assert answer["bare-2"]["Attributes"] == {
        "subject": ["Hello"],
        "html": ["<p>Hi {{User.UserAttributes.FirstName}}</p>"],
    }


def test_templates_are_cached_per_process_until_the_ttl(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    put_templates(s3, "templates", {"camp-1/0/default.json": {"subject": "v1"}})
    now = [0.0]
    hook = ExternalTemplates(S3TemplateSource("templates"), cache=TemplateCache(60, clock=lambda: now[0]))
    assert hook.apply(event())["ep-1"]["Attributes"]["subject"] == ["v1"]
    s3.put_object(Bucket="templates", Key="camp-1/0/default.json", Body=json.dumps({"subject": "v2"}))
    now[0] = 59.0
    assert hook.apply(event())["ep-1"]["Attributes"]["subject"] == ["v1"]  # cached
    assert hook.cache.misses == 1 and hook.cache.hits >= 3
    now[0] = 61.0
    assert hook.apply(event())["ep-1"]["Attributes"]["subject"] == ["v2"]  # refreshed after the TTL


def test_missing_template_fails_or_drops_and_bad_documents_are_errors(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    put_templates(
        s3,
        "templates",
        {
            "camp-2/0/default.json": {"subject": "ok"},
            "camp-3/0/default.json": b"not json",
            "camp-4/0/default.json": {"subject": 5},
            "camp-5/0/default.json": {"html": "x" * 2000},
        },
    )
    source = S3TemplateSource("templates", max_bytes=1000)
    with pytest.raises(TemplateNotFound, match=r"camp-1/0/default\.json"):
        ExternalTemplates(source).apply(event())
    assert ExternalTemplates(source, on_missing="DROP").apply(event()) == {}
    assert set(ExternalTemplates(source, on_missing="DROP").apply(event(campaign="camp-2"))) == {"ep-1", "ep-2"}
    with pytest.raises(ValueError, match="not JSON"):
        ExternalTemplates(source).apply(event(campaign="camp-3"))
    with pytest.raises(ValueError, match="each a string"):
        ExternalTemplates(source).apply(event(campaign="camp-4"))
    with pytest.raises(ValueError, match="larger than 1000"):
        ExternalTemplates(source).apply(event(campaign="camp-5"))
    with pytest.raises(ValueError, match="may not contain"):
        ExternalTemplates(source).apply(event(campaign="../etc"))
    with pytest.raises(HookConfigurationError):
        ExternalTemplates(source, key_pattern="{Campaign}.json")


def test_https_templates_over_real_tls_with_redirect_rules(server: LocalHttpsServer, certificate) -> None:
    http = HttpsClient(timeout=2, ssl_context=client_context(certificate[0]))
    document = json.dumps({"subject": "From CMS", "html": "<b>hi</b>"}).encode()
    server.answer(
        Answer(302, headers={"Location": server.url("/moved/camp-1/0/default.json")}),  # https: followed
        Answer(200, document),
    )
    hook = ExternalTemplates(HttpsTemplateSource(server.url("/cms"), http_client=http))
    answer = hook.apply(event())
    assert answer["ep-1"]["Attributes"]["subject"] == ["From CMS"]
    assert [r.path for r in server.requests] == ["/cms/camp-1/0/default.json", "/moved/camp-1/0/default.json"]

    server.answer(Answer(302, headers={"Location": f"http://127.0.0.1:{server.port}/plain.json"}))
    with pytest.raises(InsecureUrlError):
        HttpsTemplateSource(server.url("/cms"), http_client=http).fetch("x.json")
    server.answer(Answer(404))
    assert HttpsTemplateSource(server.url("/cms"), http_client=http).fetch("gone.json") is None
    server.answer(Answer(500))
    with pytest.raises(RuntimeError, match="HTTP 500"):
        HttpsTemplateSource(server.url("/cms"), http_client=http).fetch("boom.json")
    with pytest.raises(InsecureUrlError):
        HttpsTemplateSource(f"http://127.0.0.1:{server.port}/cms")


def test_https_template_source_times_out_and_refuses_an_untrusted_certificate(
    server: LocalHttpsServer, certificate
) -> None:
    import time

    server.answer(Answer(200, b"{}", delay=1.5))
    slow = HttpsTemplateSource(
        server.url("/"), http_client=HttpsClient(timeout=0.3, ssl_context=client_context(certificate[0]))
    )
    started = time.monotonic()
    with pytest.raises(HttpsError, match="failed"):
        slow.fetch("slow.json")
    assert time.monotonic() - started < 1.2
    with pytest.raises(HttpsError):  # the default trust store does not know the self-signed certificate
        HttpsTemplateSource(server.url("/"), http_client=HttpsClient(timeout=2)).fetch("x.json")


def test_templates_settings_need_exactly_one_source() -> None:
    s3_settings = ExternalTemplatesSettings.from_environment({"TEMPLATE_BUCKET": "b", "TEMPLATE_PREFIX": ""})
    source = s3_settings.source()
    assert isinstance(source, S3TemplateSource) and source.prefix == "" and source.max_bytes == 64 * 1024
    https = ExternalTemplatesSettings(base_url="https://cms.example.com", http_timeout_seconds=2.0)
    assert "TEMPLATE_PREFIX" not in https.to_environment()
    assert https.to_environment()["TEMPLATE_HTTP_TIMEOUT_SECONDS"] == "2"
    assert isinstance(https.source(), HttpsTemplateSource)
    hook = ExternalTemplates.from_settings(ExternalTemplatesSettings(bucket="b", on_missing=OnMissingTemplate.DROP))
    assert hook.on_missing is OnMissingTemplate.DROP and hook.cache.ttl_seconds == 300.0
    for neither_or_both in (ExternalTemplatesSettings(), ExternalTemplatesSettings(bucket="b", base_url="https://x")):
        with pytest.raises(HookConfigurationError, match="exactly one of TEMPLATE_BUCKET or TEMPLATE_BASE_URL"):
            neither_or_both.source()
