"""MijnGemeente sign-in through a DigiD/eHerkenning OpenID Connect broker (``RESIDENT_IDP=oidc``).

DigiD and eHerkenning speak SAML; municipalities reach them through a broker (Signicat, an
eHerkenning broker, Keycloak with the DigiD plug-in, ...) that speaks OpenID Connect and releases
the BSN (or the KvK number) as a claim of the ID token. Which claims: RESIDENT_OIDC_BSN_CLAIM,
RESIDENT_OIDC_KVK_CLAIM, RESIDENT_OIDC_NAME_CLAIM. The protocol checks are in :mod:`.oidc`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

from ..settings import Settings
from .oidc import OidcClient, OidcRefused, claim
from .residents import Identity, LoginFailed, Persona

log = logging.getLogger(__name__)
_BSN = re.compile(r"^[0-9]{9}$")
_KVK = re.compile(r"^[0-9]{8}$")


class ResidentLoginRefused(LoginFailed):
    """The broker's answer did not prove an identity; ``reason`` as in :class:`OidcRefused`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OidcIdP:
    """An IdentityProvider for MijnGemeente backed by an OIDC broker."""

    development_only = False

    def __init__(self, settings: Settings) -> None:
        self.name = settings.resident_oidc_name
        self.client = OidcClient(
            issuer=settings.resident_oidc_issuer,
            client_id=settings.resident_oidc_client_id,
            client_secret=settings.resident_oidc_client_secret,
            scope=settings.resident_oidc_scope,
            secret_key=settings.secret_key,
            clock_skew_seconds=settings.oidc_clock_skew_seconds,
        )
        self._bsn, self._kvk = settings.resident_oidc_bsn_claim, settings.resident_oidc_kvk_claim
        self._name = settings.resident_oidc_name_claim

    def personas(self) -> Sequence[Persona]:
        return []

    async def login_url(self, state: str, callback: str) -> str | None:
        try:
            return await self.client.authorization_url(state, callback)
        except OidcRefused as exc:
            log.error("resident OIDC provider unreachable: %s", exc)
            raise ResidentLoginRefused(exc.reason) from exc

    async def complete(self, params: Mapping[str, str]) -> Identity:
        callback = params.get("_callback", "")
        try:
            claims = await self.client.finish(params, callback)
        except OidcRefused as exc:
            log.warning("resident sign-in refused: %s", exc)
            raise ResidentLoginRefused(exc.reason) from exc
        name = claim(claims, self._name)
        display = name if isinstance(name, str) and name.strip() else "Inwoner"
        bsn, kvk = claim(claims, self._bsn), claim(claims, self._kvk)
        if isinstance(bsn, str) and _BSN.match(bsn):
            return Identity("bsn", bsn, display)
        if isinstance(kvk, str) and _KVK.match(kvk):
            return Identity("kvk", kvk, display)
        log.warning("resident sign-in refused: the ID token carries no BSN or KvK number")
        raise ResidentLoginRefused("no-identifier")
