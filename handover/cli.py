"""`handover-admin`: operate the handover service from the command line.

    handover-admin migrate
    handover-admin create-team KEY "Name" [--hours "1-5 08:30-17:00"]
    handover-admin create-agent USERNAME "Display name" --teams burgerzaken,belastingen [--max-chats 3]
                                [--role agent|supervisor|beheerder]
    handover-admin reset-password USERNAME
    handover-admin list-agents
    handover-admin purge [--days N]

Passwords are read from the terminal (or from HANDOVER_PASSWORD for scripts), never from
arguments, so they do not end up in shell history.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from .auth.passwords import WeakPassword
from .services import agents, outbox, retention
from .settings import Settings
from .store.db import Database

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def migrate(database_url: str | None = None) -> tuple[str | None, str | None]:
    """Bring the database schema to the newest migration; return (revision before, revision after).

    Safe to run from several processes at once: on PostgreSQL the migrations run under an advisory
    lock (alembic/env.py), so one applies them and the others wait and find nothing to do.
    """
    config = alembic_config(database_url or Settings().database_url)
    command.upgrade(config, "head")
    return config.attributes.get("revision_before"), config.attributes.get("revision_after")


def parse_hours(text: str | None) -> dict[str, Any] | None:
    """'1-5 08:30-17:00; 6 10:00-12:00' -> {"1": [["08:30", "17:00"]], ...}."""
    if not text:
        return None
    hours: dict[str, Any] = {}
    for part in text.split(";"):
        days, _, span = part.strip().partition(" ")
        start, _, end = span.strip().partition("-")
        first, _, last = days.partition("-")
        for day in range(int(first), int(last or first) + 1):
            hours.setdefault(str(day), []).append([start, end])
    return hours


def _password() -> str:
    if os.environ.get("HANDOVER_PASSWORD"):
        return os.environ["HANDOVER_PASSWORD"]
    first = getpass.getpass("Password (12+ characters): ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("passwords differ")
    return first


def _run(work: Callable[[Database], Awaitable[None]]) -> None:
    async def main() -> None:
        db = Database(Settings().database_url)
        try:
            await agents.ensure_default_teams(db.sessions)
            await work(db)
        finally:
            await db.dispose()

    asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="handover-admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations (uses DATABASE_URL)")
    team = sub.add_parser("create-team", help="create or update a team")
    team.add_argument("key")
    team.add_argument("name")
    team.add_argument("--hours", help='opening hours by ISO weekday, e.g. "1-5 08:30-17:00"; default: always open')
    agent = sub.add_parser("create-agent", help="create an agent (asks for the password)")
    agent.add_argument("username")
    agent.add_argument("display_name")
    agent.add_argument("--teams", required=True, help="comma-separated team keys")
    agent.add_argument("--max-chats", type=int, default=3)
    agent.add_argument("--role", choices=agents.ROLES, default="agent")
    reset = sub.add_parser("reset-password", help="set a new password and end the agent's sessions")
    reset.add_argument("username")
    sub.add_parser("list-agents", help="list agents and their teams")
    sub.add_parser("outbox-failed", help="list registrations that stopped for good (a 4xx) and need a person")
    retry = sub.add_parser("outbox-retry", help="queue a failed registration again, after fixing its cause")
    retry.add_argument("item_id", type=int)
    purge = sub.add_parser("purge", help="delete conversations and audit entries older than RETENTION_DAYS")
    purge.add_argument("--days", type=int, help="override RETENTION_DAYS for this run")
    args = parser.parse_args(argv)

    try:
        if args.command == "migrate":
            before, after = migrate()
            print(
                f"database migrated from {before or 'empty'} to {after}"
                if before != after
                else f"database is up to date ({after})"
            )
        elif args.command == "create-team":
            _run(lambda db: agents.ensure_team(db.sessions, args.key, args.name, parse_hours(args.hours)))
            print(f"team {args.key} saved")
        elif args.command == "create-agent":
            password = _password()
            teams = [t.strip() for t in args.teams.split(",") if t.strip()]

            async def create(db: Database) -> None:
                await agents.create_agent(
                    db.sessions, args.username, args.display_name, password, teams, args.max_chats, args.role
                )

            _run(create)
            print(f"agent {args.username} created")
        elif args.command == "reset-password":
            password = _password()
            _run(lambda db: agents.reset_password(db.sessions, args.username, password))
            print(f"password of {args.username} reset; their sessions have ended")
        elif args.command == "list-agents":

            async def show(db: Database) -> None:
                for colleague in await agents.colleagues(db.sessions):
                    view = await agents.view(db.sessions, colleague["id"])
                    if view:
                        print(
                            f"{view.username:20} {view.name:30} {view.role:10} {','.join(view.teams)} "
                            f"(max {view.max_chats})"
                        )

            _run(show)
        elif args.command == "outbox-failed":

            async def show_failed(db: Database) -> None:
                for item in await outbox.failed_items(db.sessions):
                    print(f"{item['id']}\t{item['key']}\t{item['attempts']} attempt(s)\t{item['last_error']}")

            _run(show_failed)
        elif args.command == "outbox-retry":

            async def requeue(db: Database) -> None:
                ok = await outbox.retry_failed(db.sessions, args.item_id)
                print(f"item {args.item_id} queued again" if ok else f"item {args.item_id} is not a failed item")

            _run(requeue)
        elif args.command == "purge":
            days = args.days or Settings().retention_days

            async def run_purge(db: Database) -> None:
                done = await retention.purge(db.sessions, days)
                print(
                    f"purged (older than {days} days): {done.conversations} conversations, {done.messages} "
                    f"messages, {done.callbacks} call-backs, {done.concept_requests} concept requests, "
                    f"{done.audit_entries} audit entries, {done.sessions} expired sessions"
                )

            _run(run_purge)
    except (agents.AgentError, WeakPassword, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
