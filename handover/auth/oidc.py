"""OpenID Connect relying party: authorization code flow with PKCE, ID tokens checked against JWKS.

Used twice: agents sign in to the console through the municipality's IdP (Keycloak, Entra ID, ...)
and residents sign in to MijnGemeente through a DigiD/eHerkenning broker. The JOSE work (JWK
sets, JWS signatures) is done by ``joserfc``; the protocol steps around it are few and written out
here so each check is visible:

- ``state``: random, bound to the browser by an HttpOnly cookie, and usable once (claimed in Redis,
  so a replayed callback is refused on every instance);
- ``nonce`` and the PKCE ``code_verifier`` are derived from the state with an HMAC under
  SECRET_KEY: nothing has to be stored between the two legs, every instance can finish a login
  another instance began, and nobody without the secret can compute them from the state;
- the ID token: signature by a key from the provider's JWKS (an unknown ``kid`` makes us fetch
  the JWKS again once: key rotation), ``iss``, ``aud`` (and ``azp`` when there are several
  audiences), ``exp`` and ``iat`` with a clock skew, ``nonce``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from redis.exceptions import RedisError

from ..core.errors import HandoverError

log = logging.getLogger(__name__)

# Algorithms an ID token may be signed with; never "none", never a symmetric one.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
STATE_SECONDS = 15 * 60
# After a JWKS fetch that still lacked a token's key, do not fetch again for this long.
JWKS_MISS_COOLDOWN = 10.0
# Reasons a login is refused; the pages say what the person can do about each.
TOKEN_REASONS = frozenset({"signature", "issuer", "audience", "expired", "not-yet-valid", "nonce", "malformed"})


class OidcRefused(HandoverError):
    """A sign-in that must not succeed. ``reason`` is a short code for logs and error pages."""

    code = "sign_in_refused"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_part(part: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except ValueError as exc:
        raise OidcRefused("malformed", "not JSON") from exc
    if not isinstance(value, dict):
        raise OidcRefused("malformed", "not an object")
    return value


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by dotted path: ``roles``, or Keycloak's ``realm_access.roles``."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """A claim as a list of strings (a single string counts as a list of one)."""
    value = claim(claims, path)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


async def claim_state(redis: Any, namespace: str, state: str) -> bool:
    """Mark a login's state as used; False when it was used before (a replayed callback).

    Without Redis a replay cannot be ruled out, so the sign-in fails (OidcRefused "unavailable").
    """
    digest = hashlib.sha256(state.encode()).hexdigest()
    try:
        return bool(await redis.set(f"{namespace}:login-state:{digest}", "1", nx=True, ex=STATE_SECONDS))
    except RedisError as exc:
        raise OidcRefused("unavailable", f"Redis: {type(exc).__name__}") from exc


class OidcClient:
    """One client registration at one provider. Discovery and JWKS are fetched lazily and cached."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        scope: str,
        secret_key: str,
        clock_skew_seconds: float = 60,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if not issuer or not client_id:
            raise ValueError("an OpenID Connect client needs an issuer and a client id")
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope if "openid" in scope.split() else f"openid {scope}".strip()
        self._secret = secret_key.encode()
        self.clock_skew = clock_skew_seconds
        self._http = http
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._last_miss = 0.0

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def _derived(self, purpose: str, state: str) -> str:
        mac = hmac.new(self._secret, f"oidc-{purpose}\0{self.client_id}\0{state}".encode(), hashlib.sha256)
        return _b64(mac.digest())  # 43 characters: a valid PKCE verifier as well

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._client().get(url)
            response.raise_for_status()
            value = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcRefused("provider", f"{url}: {type(exc).__name__}") from exc
        if not isinstance(value, dict):
            raise OidcRefused("provider", f"{url}: not a JSON object")
        return value

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            metadata = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            if str(metadata.get("issuer", "")).rstrip("/") != self.issuer:
                raise OidcRefused("provider", "discovery names another issuer")
            self._metadata = metadata
        return self._metadata

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            self._keys = KeySet.import_key_set(await self._get_json(str((await self.metadata())["jwks_uri"])))  # type: ignore[arg-type]
        return self._keys

    async def authorization_url(self, state: str, redirect_uri: str) -> str:
        """Where to send the browser: code flow, PKCE S256, nonce."""
        challenge = _b64(hashlib.sha256(self._derived("pkce", state).encode("ascii")).digest())
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.scope,
            "state": state,
            "nonce": self._derived("nonce", state),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{(await self.metadata())['authorization_endpoint']}?{urlencode(query)}"

    async def finish(self, params: Mapping[str, str], redirect_uri: str) -> dict[str, Any]:
        """The verified ID-token claims for a callback whose state the caller has checked and claimed."""
        if params.get("error"):
            raise OidcRefused("provider", f"provider answered {params['error'][:60]}")
        code, state = params.get("code", ""), params.get("state", "")
        if not code or not state:
            raise OidcRefused("state", "callback without code or state")
        metadata = await self.metadata()
        try:
            response = await self._client().post(
                str(metadata["token_endpoint"]),
                auth=(self.client_id, self._client_secret),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": self._derived("pkce", state),
                },
            )
        except httpx.HTTPError as exc:
            raise OidcRefused("provider", f"token endpoint: {type(exc).__name__}") from exc
        if response.status_code != 200:
            # invalid_grant: a code used twice, expired, or a wrong verifier.
            raise OidcRefused("provider", f"token endpoint answered {response.status_code}")
        try:
            id_token = response.json()["id_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise OidcRefused("provider", "no ID token in the token response") from exc
        return await self.verify(str(id_token), nonce=self._derived("nonce", state))

    async def verify(self, id_token: str, *, nonce: str, now: float | None = None) -> dict[str, Any]:
        parts = id_token.split(".")
        if len(parts) != 3:
            raise OidcRefused("malformed", "not a compact JWS")
        header = _json_part(parts[0])
        if header.get("alg") not in ALGORITHMS:
            raise OidcRefused("signature", f"algorithm {str(header.get('alg'))[:20]} not accepted")
        keys = await self._key_set()
        kid = header.get("kid")
        if kid is not None and not _has_kid(keys, kid) and time.monotonic() - self._last_miss > JWKS_MISS_COOLDOWN:
            keys = await self._key_set(refresh=True)  # the provider may have rotated its keys
            if not _has_kid(keys, kid):
                self._last_miss = time.monotonic()
        try:
            jws.deserialize_compact(id_token, keys, algorithms=ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise OidcRefused("signature", type(exc).__name__) from exc
        claims = _json_part(parts[1])
        self.check_claims(claims, nonce=nonce, now=time.time() if now is None else now)
        return claims

    def check_claims(self, claims: Mapping[str, Any], *, nonce: str, now: float) -> None:
        if str(claims.get("iss", "")).rstrip("/") != self.issuer:
            raise OidcRefused("issuer", "iss is another issuer")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        if self.client_id not in audiences:
            raise OidcRefused("audience", "the token is not for this client")
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise OidcRefused("audience", "several audiences and azp is not this client")
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or not isinstance(iat, int | float):
            raise OidcRefused("malformed", "exp or iat missing")
        if exp + self.clock_skew <= now:
            raise OidcRefused("expired", "exp has passed")
        if iat - self.clock_skew > now:
            raise OidcRefused("not-yet-valid", "iat lies in the future")
        sent = claims.get("nonce")
        if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
            raise OidcRefused("nonce", "nonce does not match this login")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise OidcRefused("malformed", "no sub")


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)
