"""Alembic environment: async engine, URL from the `sqlalchemy.url` option or DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from handover.settings import Settings
from handover.store.db import Database
from handover.store.models import Base

config = context.config
target_metadata = Base.metadata
# PostgreSQL advisory lock key (any constant bigint, the same for every instance): instances that
# migrate at the same moment take turns, and the second finds the schema already current.
MIGRATION_LOCK = 0x48414E444F564552  # "HANDOVER"


def database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def run_migrations(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Held until this transaction (which runs every migration) commits or rolls back.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    # Read under the lock: what this run found and left (handover-admin migrate reports both).
    config.attributes["revision_before"] = context.get_context().get_current_revision()
    with context.begin_transaction():
        context.run_migrations()
    config.attributes["revision_after"] = context.get_context().get_current_revision()


async def run_online() -> None:
    db = Database(database_url())
    try:
        async with db.engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await db.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_online())
