"""The app factory: wires settings, database, Redis, Rasa and routes. Holds no logic."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, WebSocket
from fastapi.staticfiles import StaticFiles
from redis.asyncio import BlockingConnectionPool, Redis
from starlette.types import Receive, Scope, Send

from .api import security
from .api.routes import auth, console, demo, health, klantbeeld, mijn, oidc, pages, transcripts
from .auth.residents import ProviderUnavailable, provider_for
from .bus.fanout import Fanout, Hub
from .bus.limits import AbuseLimits
from .core import masking
from .integrations.rasa import RasaClient
from .observability import RequestIdMiddleware, Tracing, configure_logging
from .services import agents
from .services.conversations import ConversationService
from .services.klantbeeld.catalogue import request_types
from .services.outbox import Outbox
from .services.partijen import OpenKlant
from .services.registration import Registration
from .services.routing import Router
from .settings import Settings
from .store.db import Database
from .store.eventlog import EventLog
from .ws import agent, resident
from .ws.connection import SERVER_SEND, Heartbeats

WEB = Path(__file__).parent / "web"
WIDGET_DIST = Path(__file__).parent.parent / "widget" / "dist"


class HandoverApp(FastAPI):
    """FastAPI, except that the resident socket skips the HTTP middleware and routing layers.

    Thousands of residents keep a socket open; every layer's frame lives as long as the socket
    (about 10 KiB each, measured with bench/idle.py). The endpoint is the same function that is
    registered as the `/ws/chat` route; only the path to it is short.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send  # sockets write batches of frames past the middleware
        if scope["type"] == "websocket" and scope.get("path") == resident.PATH:
            scope["app"] = self
            await resident.resident_socket(WebSocket(scope, receive, send))
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    masking.configure(phone=settings.mask_phone, email=settings.mask_email)
    mijn.hide_link_tokens()  # request link tokens never reach the access log
    tracing = Tracing(settings) if settings.tracing_enabled else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            from .cli import migrate

            before, after = await asyncio.to_thread(migrate, settings.database_url)
            if before != after:
                logging.getLogger(__name__).info("database migrated from %s to %s", before or "empty", after)
            else:
                logging.getLogger(__name__).info("database schema is current (%s)", after)
        db = Database(settings.database_url)
        # from_pool: closing the client closes the pool's connections too.
        redis = Redis.from_pool(
            BlockingConnectionPool.from_url(
                settings.redis_url,
                max_connections=settings.redis_max_connections,
                timeout=10,
                socket_connect_timeout=3,
                health_check_interval=15,
            )
        )
        http = httpx.AsyncClient(limits=httpx.Limits(max_connections=100))
        if tracing is not None:
            tracing.instrument_client(http)
        hub = Hub()
        fanout = Fanout(redis, hub, settings.instance_name, settings.redis_namespace)
        rasa = RasaClient(
            http,
            settings.rasa_url,
            settings.rasa_timeout_seconds,
            settings.rasa_retry_seconds,
            token=settings.rasa_token,
        )
        log = EventLog(db.engine, is_sqlite=db.is_sqlite, on_committed=fanout.committed)
        products = frozenset(t["key"] for t in request_types(Path(settings.catalogue_path)))
        conversations = ConversationService(db.sessions, fanout, rasa, log, products)
        heartbeats = Heartbeats(settings.heartbeat_seconds, conversations.reconcile)
        fanout.reconcile = conversations.reconcile  # when another instance appears
        router = Router(conversations, redis, fanout, settings)
        outbox = Outbox(db.sessions, settings, http)
        conversations.on_transition.append(Registration(db.sessions, outbox).after_transition)
        app.state.settings = settings
        app.state.db = db
        app.state.redis = redis
        app.state.rasa = rasa
        app.state.hub = hub
        app.state.fanout = fanout
        app.state.conversations = conversations
        app.state.router = router
        app.state.heartbeats = heartbeats
        app.state.limits = AbuseLimits(
            redis,
            settings.redis_namespace,
            per_address={
                "start": settings.limit_starts_per_address,
                "handover": settings.limit_handovers_per_address,
                "callback": settings.limit_callbacks_per_address,
            },
            global_={"start": settings.limit_starts_global, "handover": settings.limit_handovers_global},
        )
        app.state.outbox = outbox
        app.state.openklant = OpenKlant(settings, http)
        await agents.ensure_default_teams(db.sessions)
        app.state.resident_idp = None
        try:
            # Resolved once here and kept; MijnGemeente's dependency retries only if this failed.
            app.state.resident_idp = provider_for(settings)
        except ProviderUnavailable as exc:
            # The chat works without it; MijnGemeente answers 503 until a provider is configured.
            logging.getLogger(__name__).error("MijnGemeente login unavailable: %s", exc)
        await fanout.start()
        await router.start()
        await outbox.start()
        try:
            yield
        finally:
            await outbox.stop()
            await router.stop()
            await conversations.drain()
            await heartbeats.stop()
            await log.close()
            await fanout.stop()
            await http.aclose()
            for client in (
                getattr(app.state, "agent_oidc", None),
                getattr(getattr(app.state, "resident_idp", None), "client", None),
            ):
                if client is not None and hasattr(client, "aclose"):
                    await client.aclose()
            await redis.aclose()
            await db.dispose()
            if tracing is not None:
                tracing.shutdown()

    app = HandoverApp(title="Handover service", version="0.1.0", lifespan=lifespan, **security.docs_urls(settings))
    security.install(app, settings)
    app.add_middleware(RequestIdMiddleware)  # outermost: every log line of a request carries its id
    if tracing is not None:
        tracing.instrument_app(app)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(demo.router)
    app.include_router(auth.router)
    app.include_router(oidc.router)
    app.include_router(console.router)
    app.include_router(mijn.router)
    app.include_router(klantbeeld.router)
    app.include_router(transcripts.router)
    app.include_router(resident.router)
    app.include_router(agent.router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    app.mount("/console/static", StaticFiles(directory=WEB / "console"), name="console")
    if WIDGET_DIST.is_dir():
        app.mount("/widget", StaticFiles(directory=WIDGET_DIST), name="widget")
    return app


def app() -> FastAPI:
    """Entry point for `uvicorn --factory handover.main:app`."""
    settings = Settings()
    configure_logging(settings)
    return create_app(settings)
