"""Standard Webhooks signing, checked against the reference `standardwebhooks` library."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from belltower.domain.signing import generate_secret, secret_key, sign, signature_headers

# The secret and expected signature from the Standard Webhooks specification's test vectors.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_generated_secrets_are_whsec_base64_of_32_bytes():
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[len("whsec_"):], validate=True)) == 32
    assert generate_secret() != secret


def test_signature_matches_the_specification_vector():
    assert sign([SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_signature_is_hmac_sha256_over_id_timestamp_and_body():
    key = base64.b64decode(SPEC_SECRET[len("whsec_"):])
    digest = hmac.new(key, f"{SPEC_ID}.{SPEC_TIMESTAMP}.".encode() + SPEC_BODY, hashlib.sha256).digest()
    assert sign([SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == "v1," + base64.b64encode(digest).decode()


def test_a_secret_without_prefix_is_the_same_key():
    assert secret_key(SPEC_SECRET) == secret_key(SPEC_SECRET[len("whsec_"):])


def test_each_secret_contributes_one_space_separated_signature():
    other = generate_secret()
    value = sign([SPEC_SECRET, other], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    first, second = value.split(" ")
    assert first == SPEC_SIGNATURE
    assert second == sign([other], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)


def test_headers_carry_id_timestamp_and_signature():
    headers = signature_headers([SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert headers == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": SPEC_SIGNATURE,
    }


@pytest.mark.parametrize("index", [0, 1])
def test_standard_webhooks_library_verifies_with_either_rotated_secret(index):
    # Given two live secrets (current and previous during a rotation)
    secrets = [generate_secret(), generate_secret()]
    body = b'{"event":"occurrence.succeeded","data":{"id":"occ_1"}}'
    # When a delivery is signed with both
    headers = signature_headers(secrets, "occ_01J9ZK3F8Q", int(time.time()), body)
    # Then a receiver holding either one verifies it
    assert Webhook(secrets[index]).verify(body, headers) == {"event": "occurrence.succeeded", "data": {"id": "occ_1"}}


def test_standard_webhooks_library_rejects_a_tampered_body():
    secret = generate_secret()
    headers = signature_headers([secret], "occ_1", int(time.time()), b'{"a":1}')
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', headers)


def test_standard_webhooks_library_rejects_an_unrelated_secret():
    headers = signature_headers([generate_secret()], "occ_1", int(time.time()), b"{}")
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(b"{}", headers)


def test_signing_needs_at_least_one_secret():
    with pytest.raises(ValueError):
        sign([], "occ_1", 1, b"")
    with pytest.raises(TypeError):
        sign(SPEC_SECRET, "occ_1", 1, b"")  # a bare string is not a list of secrets


def test_an_empty_secret_is_rejected():
    with pytest.raises(ValueError):
        secret_key("whsec_")
