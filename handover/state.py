"""The typed view of ``app.state``: what the lifespan in ``main.py`` puts there, and its types.

Routes and sockets read the running service's parts through ``app_state(request)`` (or
``app_state(websocket)``) instead of the untyped ``request.app.state``, so mypy checks every
use. The lazily made helpers (login throttle, OIDC client, resident provider) start as ``None``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from .auth.oidc import OidcClient
    from .auth.residents import IdentityProvider
    from .auth.throttle import LoginThrottle
    from .bus.fanout import Fanout, Hub
    from .bus.limits import AbuseLimits
    from .integrations.rasa import RasaClient
    from .services.conversations import ConversationService
    from .services.outbox import Outbox
    from .services.partijen import OpenKlant
    from .services.routing import Router
    from .settings import Settings
    from .store.db import Database
    from .ws.connection import Heartbeats


class AppState(Protocol):
    settings: Settings
    db: Database
    redis: Redis
    rasa: RasaClient
    hub: Hub
    fanout: Fanout
    conversations: ConversationService
    router: Router
    heartbeats: Heartbeats
    limits: AbuseLimits
    outbox: Outbox
    openklant: OpenKlant
    # Made on first use by the routes that need them.
    login_throttle: LoginThrottle | None
    agent_oidc: OidcClient | None
    resident_idp: IdentityProvider | None


def app_state(connection: HTTPConnection) -> AppState:
    """The running service's parts, typed (``connection`` is a Request or a WebSocket)."""
    return cast("AppState", connection.app.state)
