"""The pure parts of webhooks: signatures, URL rules, the subscription's life, the config."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from services.integration.domain.webhook import (
    Park,
    Resume,
    Subscribe,
    WebhookIdTaken,
    WebhookNotFound,
    webhook_decider,
)
from services.integration.webhooks import signing
from services.integration.webhooks.config import WebhookConfig
from services.integration.webhooks.urls import UrlNotAllowed, check_url
from shared.decider import Spec
from shared.events.integration import WebhookParked, WebhookResumed, WebhookSubscribed

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def test_the_signature_is_hmac_sha256_over_id_timestamp_and_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"k" * 32, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert signing.signature(SECRET, "msg_1", 1700000000, body) == (
        "v1," + base64.b64encode(expected).decode()
    )
    headers = signing.headers(SECRET, "msg_1", 1700000000, body)
    assert signing.verify(
        SECRET, "msg_1", "1700000000", body, headers["webhook-signature"], 1700000100
    )


@pytest.mark.parametrize(
    "message_id, timestamp, body, now",
    [
        ("msg_2", "1700000000", b'{"a":1}', 1700000000),  # another id
        ("msg_1", "1700000000", b'{"a":2}', 1700000000),  # another body
        ("msg_1", "1700000000", b'{"a":1}', 1700000301),  # too old
        ("msg_1", "17e8", b'{"a":1}', 1700000000),  # not a timestamp
    ],
)
def test_a_tampered_or_stale_delivery_does_not_verify(
    message_id: str, timestamp: str, body: bytes, now: int
) -> None:
    good = signing.signature(SECRET, "msg_1", 1700000000, b'{"a":1}')
    assert not signing.verify(SECRET, message_id, timestamp, body, good, now)


def test_one_of_several_signatures_is_enough() -> None:
    good = signing.signature(SECRET, "m", 5, b"x")
    assert signing.verify(SECRET, "m", "5", b"x", f"v1,bm9wZQ== {good}", 5)


def test_new_secrets_are_valid_keys() -> None:
    assert len(signing.key_of(signing.new_secret())) == 32


def test_a_public_address_is_allowed_a_private_one_only_by_name() -> None:
    def public(host: str) -> list[str]:
        return ["93.184.216.34", "2606:2800:220:1::1"]

    def private(host: str) -> list[str]:
        return ["93.184.216.34", "10.1.2.3"]

    assert check_url("https://partner.example/h", frozenset(), public)
    with pytest.raises(UrlNotAllowed):
        check_url("https://partner.example/h", frozenset(), private)
    assert check_url("http://partner.example/h", frozenset({"partner.example"}), private)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(UrlNotAllowed):
        check_url("https://no-such-host.invalid/h", frozenset())


SUBSCRIBED = WebhookSubscribed(
    webhook_id="w1", owner_key_id="k", url="https://p.example/h", categories=["alpha"],
    secret=SECRET,
)  # fmt: skip


def test_a_webhook_is_subscribed_once_parked_once_resumed_any_time() -> None:
    def spec() -> Spec[object, object]:
        return Spec(webhook_decider)  # type: ignore[arg-type]

    spec().when(Subscribe(SUBSCRIBED)).then(SUBSCRIBED)
    spec().given(SUBSCRIBED).when(Subscribe(SUBSCRIBED)).then()
    other = SUBSCRIBED.model_copy(update={"url": "https://q.example/h"})
    spec().given(SUBSCRIBED).when(Subscribe(other)).raises(WebhookIdTaken)
    parked = WebhookParked(webhook_id="w1", position=7, attempts=3, last_error="503")
    spec().given(SUBSCRIBED).when(Park(7, 3, "503")).then(parked)
    spec().given(SUBSCRIBED, parked).when(Park(7, 4, "503")).then()
    resumed = WebhookResumed(webhook_id="w1", after_position=6)
    spec().given(SUBSCRIBED, parked).when(Resume(6)).then(resumed)
    spec().when(Resume(0)).raises(WebhookNotFound)
    state = webhook_decider.fold([SUBSCRIBED, parked, resumed])
    assert getattr(state, "parked", "?") is None and getattr(state, "resumes", 0) == 1


def test_the_config_reads_the_environment_and_refuses_nonsense() -> None:
    config = WebhookConfig.from_env(
        {"COOP_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1, Hooks.Local", "COOP_WEBHOOK_MAX_ATTEMPTS": "3",
         "COOP_WEBHOOK_BACKOFF_SECONDS": "0.5"}
    )  # fmt: skip
    assert config.allowed_hosts == {"127.0.0.1", "hooks.local"}
    assert config.max_attempts == 3 and config.backoff.initial == 0.5
    assert WebhookConfig.from_env({}) == WebhookConfig()
    for bad in ("x", "-1", "0"):
        with pytest.raises(ValueError, match="COOP_WEBHOOK_MAX_ATTEMPTS"):
            WebhookConfig.from_env({"COOP_WEBHOOK_MAX_ATTEMPTS": bad})
