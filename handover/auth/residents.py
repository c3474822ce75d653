"""Resident login for MijnGemeente: the identity provider interface and resident sessions.

A login is two steps, the same for every provider:

1. ``login_url(state, callback)``: where the browser goes to prove who it is. A provider that
   lets the resident choose on our own page (the development provider) returns ``None``.
2. ``complete(params)``: turns what comes back at the callback (the chosen persona, or an OIDC
   ``code``) into an :class:`Identity`, or raises :class:`LoginFailed`.

The provider is chosen by the ``RESIDENT_IDP`` environment variable: ``development`` (the
default, refused when ``ENVIRONMENT=production``), ``oidc`` (a DigiD/eHerkenning OpenID Connect
broker, :mod:`.resident_oidc`) or ``package.module:factory``, a callable that takes the settings
and returns an :class:`IdentityProvider`.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import select

from ..core.errors import HandoverError
from ..settings import Settings
from ..store.models import ResidentSession, utcnow
from ..store.repo import Sessions
from .sessions import RESIDENT_SESSIONS

IDP_VARIABLE = "RESIDENT_IDP"
DEVELOPMENT = "development"
SESSION_LIFETIME = timedelta(hours=1)


class ResidentLoginError(HandoverError):
    """Base of the errors of resident login."""

    code = "login_failed"


class ProviderUnavailable(ResidentLoginError):
    """The configured provider cannot be used here (a development provider in production)."""

    code = "login_unavailable"


class LoginFailed(ResidentLoginError):
    """What came back from the provider does not prove an identity."""


@dataclass(frozen=True)
class Identity:
    """Who logged in, as the provider vouches for it."""

    kind: str  # "bsn" (DigiD), "kvk" (eHerkenning), ...
    value: str
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Persona:
    """A fictional resident of the development provider."""

    key: str
    identity: Identity
    description: str


@runtime_checkable
class IdentityProvider(Protocol):
    """What MijnGemeente needs from a login service."""

    name: str  # shown to the resident, e.g. "DigiD"
    development_only: bool

    def personas(self) -> Sequence[Persona]:
        """People to choose from on our own login page; empty for a real provider."""
        ...

    def login_url(self, state: str, callback: str) -> str | None | Awaitable[str | None]:
        """Where the browser logs in; it returns to ``callback`` with ``state``. None: our page.
        May be a coroutine (an OIDC client reads the provider's discovery document first)."""
        ...

    async def complete(self, params: Mapping[str, str]) -> Identity:
        """The identity proven by the callback's parameters; raise LoginFailed otherwise."""
        ...


# Fictional people with numbers from the BSN test range of the RvIG (they pass the elfproef but
# belong to no one). The development provider exists so the whole journey runs on one machine.
PERSONAS: tuple[Persona, ...] = (
    Persona(
        "eva",
        Identity("bsn", "999993653", "Eva de Boer", "eva.deboer@example.nl", "0612345678"),
        "Woont alleen, huurt een appartement.",
    ),
    Persona(
        "youssef",
        Identity("bsn", "999990019", "Youssef El Amrani", "y.elamrani@example.nl"),
        "Gezin met twee kinderen, eigen woning.",
    ),
    Persona("marja", Identity("bsn", "999991772", "Marja Hoekstra"), "Gepensioneerd, geen e-mailadres bekend."),
    Persona("tim", Identity("bsn", "999998456", "Tim van Dijk", "tim.vandijk@example.nl"), "Student, woont op kamers."),
)


class DevelopmentIdP:
    """Test personas, chosen with one click. Never in production."""

    name = "Testpersonen"
    development_only = True

    def __init__(self, personas: Sequence[Persona] = PERSONAS) -> None:
        self._personas = {p.key: p for p in personas}

    def personas(self) -> Sequence[Persona]:
        return list(self._personas.values())

    def login_url(self, state: str, callback: str) -> str | None:
        return None

    async def complete(self, params: Mapping[str, str]) -> Identity:
        persona = self._personas.get(params.get("persona", ""))
        if persona is None:
            raise LoginFailed("unknown persona")
        return persona.identity


def provider_for(settings: Settings) -> IdentityProvider:
    """The provider named by RESIDENT_IDP (read through Settings, so a .env value counts too);
    refuse the development one in production."""
    choice = settings.resident_idp.strip()
    if choice == DEVELOPMENT:
        provider: IdentityProvider = DevelopmentIdP()
    elif choice == "oidc":
        from .resident_oidc import OidcIdP  # noqa: PLC0415 - it imports this module

        if not (settings.resident_oidc_issuer and settings.resident_oidc_client_id):
            raise ProviderUnavailable(f"{IDP_VARIABLE}=oidc needs RESIDENT_OIDC_ISSUER and RESIDENT_OIDC_CLIENT_ID")
        provider = OidcIdP(settings)
    elif ":" in choice:
        module_name, _, factory_name = choice.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), factory_name)
        except (ImportError, AttributeError) as exc:
            raise ProviderUnavailable(f"{IDP_VARIABLE}={choice!r} cannot be imported: {exc}") from exc
        provider = factory(settings)
        if not isinstance(provider, IdentityProvider):
            raise ProviderUnavailable(f"{IDP_VARIABLE}={choice!r} did not return an IdentityProvider")
    else:
        raise ProviderUnavailable(
            f"{IDP_VARIABLE}={choice!r} is unknown: use 'development', 'oidc' or 'package.module:factory' "
            "(see docs/mijngemeente.md)"
        )
    if provider.development_only and settings.environment == "production":
        raise ProviderUnavailable(
            "the development identity provider (test personas) is refused in production: "
            f"set {IDP_VARIABLE} to a real provider (see docs/mijngemeente.md)"
        )
    return provider


# --- sessions ------------------------------------------------------------------------------


#: Identifications a taak in the Objects API can carry (Open Inwoner: BSN for DigiD, KvK for eHerkenning).
TAAK_IDENTIFICATIONS = {"bsn": 9, "kvk": 8}


async def open_session(
    sessions: Sessions, partij_id: int, lifetime: timedelta = SESSION_LIFETIME, identity: Identity | None = None
) -> tuple[str, str]:
    """Return (session token, csrf token). Only the token's hash is stored; a BSN or KvK number
    of ``identity`` is kept with the session (and goes with it) for publishing taken."""
    kept = None
    if (
        identity is not None
        and TAAK_IDENTIFICATIONS.get(identity.kind) == len(identity.value)
        and identity.value.isdigit()
    ):
        kept = f"{identity.kind}:{identity.value}"
    return await RESIDENT_SESSIONS.open(sessions, partij_id, lifetime, identificatie=kept)


async def identification_of(sessions: Sessions, partij_id: int) -> tuple[str, str] | None:
    """(type, value), e.g. ("bsn", "123456782"), from a live session of this resident; None when
    they are not logged in now (the number is not stored anywhere else)."""
    async with sessions() as session:
        found = (
            await session.execute(
                select(ResidentSession.identificatie)
                .where(
                    ResidentSession.partij_id == partij_id,
                    ResidentSession.expires_at > utcnow(),
                    ResidentSession.identificatie.is_not(None),
                )
                .order_by(ResidentSession.expires_at.desc())
                .limit(1)
            )
        ).scalar()
    if not found:
        return None
    kind, _, value = str(found).partition(":")
    return kind, value


async def session_resident(sessions: Sessions, token: str | None) -> tuple[int, str] | None:
    """Return (partij id, csrf token) for a live session, or None."""
    return await RESIDENT_SESSIONS.owner_of(sessions, token)


async def close_session(sessions: Sessions, token: str) -> None:
    await RESIDENT_SESSIONS.close(sessions, token)
