"""The alert keys of the policy file: language, webhook formats and secrets, delivery."""

from __future__ import annotations

import pytest

from sla.config import parse_config
from sla.specs import DeliverySpec, WebhookSpec
from tests.sla.test_config import BASE, _edit, _issues

LOGISTICS = "  logistics: {name: 物流部, calendar: office}\n"


def _with(department: str, top: str = "") -> str:
    return _edit(LOGISTICS, department, top + BASE if top else BASE)


def test_defaults_english_plain_url_and_everything_at_once() -> None:
    config = parse_config(_with(
        '  logistics: {name: 物流部, calendar: office, webhook: "https://h.test/l"}\n'))
    logistics = config.departments["logistics"]
    assert (logistics.language, logistics.delivery) == ("en", None)
    assert logistics.webhook == WebhookSpec(url="https://h.test/l")


def test_language_per_department_and_the_top_level_default() -> None:
    config = parse_config(_with("  logistics: {name: 物流部, calendar: office, language: en}\n",
                                top="language: zh\n"))
    assert config.departments["logistics"].language == "en"
    assert config.departments["triage"].language == "zh"


def test_a_group_bot_with_its_url_and_secret_in_variables() -> None:
    config = parse_config(_with(
        "  logistics:\n    name: 物流部\n    calendar: office\n"
        "    webhook: {url_env: SLA_DING_URL, format: dingtalk, secret_env: SLA_DING_SECRET}\n"
        "    delivery: {penalty: daily, quiet_hours: false, urgent: []}\n"))
    logistics = config.departments["logistics"]
    assert logistics.webhook == WebhookSpec(format="dingtalk", url_env="SLA_DING_URL",
                                            secret_env="SLA_DING_SECRET")
    assert str(logistics.webhook) == "dingtalk: $SLA_DING_URL"
    assert logistics.delivery == DeliverySpec(penalty="daily", quiet_hours=False,
                                              urgent=frozenset())


def test_a_listing_never_shows_a_url_query() -> None:
    hook = WebhookSpec(url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-123",
                       format="wecom")
    assert "k-123" not in str(hook)


CASES = [
    ("unknown language", "language: fr", "fr", "departments.logistics.language",
     "unknown language 'fr'; expected one of: en, zh"),
    ("unknown format", "webhook: {url: 'https://h.test/', format: feishuu}", "feishuu",
     "departments.logistics.webhook.format", "did you mean 'feishu'"),
    ("a secret instead of its variable name",
     "webhook: {url: 'https://h.test/', format: feishu, secret_env: 'qW3rTy5-uIoP'}",
     "'qW3rTy5", "departments.logistics.webhook.secret_env", "is it the secret itself?"),
    ("url and url_env", "webhook: {url: 'https://h.test/', url_env: HOOK}", "{url:",
     "departments.logistics.webhook", "exactly one of url or url_env"),
    ("wecom has nothing to sign with",
     "webhook: {url_env: HOOK, format: wecom, secret_env: WECOM_SECRET}", "WECOM_SECRET",
     "departments.logistics.webhook.secret_env", "not signed"),
    ("unknown webhook key", "webhook: {url: 'https://h.test/', secret: abc}", "secret:",
     "departments.logistics.webhook.secret", "unknown key"),
    ("bad delivery mode", "delivery: {penalty: weekly}", "weekly",
     "departments.logistics.delivery.penalty", "expected one of: immediate, hourly, daily"),
    ("bad urgent severity", "delivery: {urgent: [breach, fine]}", "fine]",
     "departments.logistics.delivery.urgent[1]", "unknown severity 'fine'"),
    ("bad quiet hours", "delivery: {quiet_hours: sometimes}", "sometimes",
     "departments.logistics.delivery.quiet_hours", "expected true or false"),
]


@pytest.mark.parametrize(("key", "marker", "path", "fragment"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_mistakes_are_located(key: str, marker: str, path: str, fragment: str) -> None:
    text = _with(f"  logistics:\n    calendar: office\n    {key}\n")
    issues = _issues(text)
    assert [(i.path, fragment in i.message) for i in issues] == [(path, True)], issues
    line = text.splitlines().index(f"    {key}") + 1
    assert (issues[0].line, issues[0].column) == (line, f"    {key}".index(marker) + 1)


def test_a_bad_top_level_language_is_located() -> None:
    text = "language: english\n" + BASE
    [issue] = _issues(text)
    assert (issue.path, issue.line, issue.column) == ("language", 1, 11)
