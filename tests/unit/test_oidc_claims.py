"""The ID-token claim checks of handover/auth/oidc.py, at their edges (no I/O: check_claims only).

The end-to-end refusals (signature, audience, expiry through a real provider) are in
tests/integration/test_oidc_agents.py and test_oidc_residents.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from handover.auth.oidc import OidcClient, OidcRefused, claim_values

NOW = 1_800_000_000.0
ISSUER = "https://idp.example/realms/gemeente"


def client(skew: float = 60) -> OidcClient:
    return OidcClient(
        issuer=ISSUER,
        client_id="console",
        client_secret="s",
        scope="openid",
        secret_key="k" * 40,
        clock_skew_seconds=skew,
    )


def claims(**changes: Any) -> dict[str, Any]:
    base = {"iss": ISSUER, "aud": "console", "sub": "u1", "exp": NOW + 300, "iat": NOW, "nonce": "n"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"exp": NOW - 59}, None),  # within the clock skew
        ({"exp": NOW - 61}, "expired"),
        ({"iat": NOW + 59}, None),
        ({"iat": NOW + 61}, "not-yet-valid"),
        ({"aud": "other"}, "audience"),
        ({"aud": ["console", "other"]}, "audience"),  # several audiences need azp
        ({"aud": ["console", "other"], "azp": "console"}, None),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"iss": ISSUER + "/"}, None),
        ({"nonce": "m"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"exp": None}, "malformed"),
        ({"sub": ""}, "malformed"),
    ],
)
def test_claims(changes: dict[str, Any], reason: str | None) -> None:
    if reason is None:
        client().check_claims(claims(**changes), nonce="n", now=NOW)
    else:
        with pytest.raises(OidcRefused) as refused:
            client().check_claims(claims(**changes), nonce="n", now=NOW)
        assert refused.value.reason == reason


def test_no_clock_skew_means_none() -> None:
    with pytest.raises(OidcRefused, match="expired"):
        client(skew=0).check_claims(claims(exp=NOW - 1), nonce="n", now=NOW)


def test_nonce_and_verifier_are_derived_per_state_and_secret() -> None:
    one, other = (
        client(),
        OidcClient(issuer=ISSUER, client_id="console", client_secret="s", scope="openid", secret_key="j" * 40),
    )
    assert one._derived("nonce", "a") == client()._derived("nonce", "a")
    assert one._derived("nonce", "a") != one._derived("nonce", "b") != other._derived("nonce", "b")
    assert one._derived("pkce", "a") != one._derived("nonce", "a") and len(one._derived("pkce", "a")) == 43


def test_role_claims_by_path() -> None:
    token = {"realm_access": {"roles": ["chat-supervisor", 3]}, "groups": "agents"}
    assert claim_values(token, "realm_access.roles") == ["chat-supervisor"]
    assert claim_values(token, "groups") == ["agents"]
    assert claim_values(token, "roles") == []


def test_production_refuses_an_oidc_set_up_that_cannot_be_safe() -> None:
    from pydantic import ValidationError

    from handover.settings import Settings

    safe = {"environment": "production", "secret_key": "s" * 40, "allowed_origins": ["https://x.example"]}
    Settings(
        **safe,
        agent_oidc_issuer="https://idp.example",
        agent_oidc_client_id="c",  # type: ignore[arg-type]
        agent_oidc_client_secret="x",
        agent_local_passwords=False,
    )
    for wrong in (
        {"agent_oidc_issuer": "http://idp.example", "agent_oidc_client_id": "c", "agent_oidc_client_secret": "x"},
        {"agent_oidc_issuer": "https://idp.example", "agent_oidc_client_id": "c"},
        {"resident_idp": "oidc", "resident_oidc_issuer": "https://broker.example"},
        {"agent_local_passwords": False},
    ):
        with pytest.raises(ValidationError):
            Settings(**safe, **wrong)  # type: ignore[arg-type]


async def test_a_state_is_claimed_once_and_never_without_redis(redis_url: str) -> None:
    import uuid

    from redis.asyncio import Redis

    from handover.auth.oidc import claim_state

    state, namespace = uuid.uuid4().hex, f"t{uuid.uuid4().hex[:8]}"
    async with Redis.from_url(redis_url) as redis:
        assert await claim_state(redis, namespace, state)
        assert not await claim_state(redis, namespace, state)  # the replay
    async with Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1) as down:
        with pytest.raises(OidcRefused) as refused:
            await claim_state(down, namespace, uuid.uuid4().hex)
    assert refused.value.reason == "unavailable"
