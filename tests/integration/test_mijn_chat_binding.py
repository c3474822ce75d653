"""A chat started inside MijnGemeente by a logged-in resident is theirs from the first message:
the agent sees who it is without asking. Nothing else binds: another channel, a tampered or
foreign cookie, or a session that ended."""

from __future__ import annotations

import re

import httpx
from agents_helper import login
from sqlalchemy import select
from test_handover import online
from test_mijn import client, log_in
from wsclient import ChatClient

from handover.auth import chat_binding
from handover.store.models import AuditEntry, Conversation, Partij


def chat_cookie(http: httpx.AsyncClient) -> str:
    value = http.cookies.get(chat_binding.COOKIE, path=chat_binding.COOKIE_PATH)
    assert value, "a MijnGemeente page sets the chat cookie"
    return value


async def start_chat(service, cookie: str | None, channel: str = "mijngemeente") -> tuple[ChatClient, str]:  # type: ignore[no-untyped-def]
    headers = {"Cookie": f"{chat_binding.COOKIE}={cookie}"} if cookie else None
    chat = await ChatClient(service.ws, headers=headers).__aenter__()
    started = await chat.start(page="https://gemeente.example.nl/mijn", channel=channel)
    return chat, started["conversation_id"]


async def owner(db, conversation_id: str) -> int | None:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        return (
            await session.execute(select(Conversation.partij_id).where(Conversation.id == conversation_id))
        ).scalar()


async def test_chat_started_in_mijngemeente_is_the_residents_from_the_start(start_service, database_url, db):
    service = start_service(database_url)
    async with client(service) as eva:
        page = await log_in(eva, "eva")
        assert '<script src="/widget/widget.js" data-channel="mijngemeente"' in page.text
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "connect-src 'self' ws://127.0.0.1" in csp
        cookie = chat_cookie(eva)
        set_cookie = page.history[-1].headers.get("set-cookie", "") + page.headers.get("set-cookie", "")
        assert re.search(r"mijn_chat=[^;]+;.*HttpOnly;.*Path=/ws/chat;.*SameSite=strict", set_cookie, re.I)
    async with db.sessions() as session:
        eva_id = (await session.execute(select(Partij.id))).scalar_one()

    agent = await login(service, db, ["klantcontact"], name="Anna")
    socket = await online(agent, service)
    chat, conversation_id = await start_chat(service, cookie)
    assert await owner(db, conversation_id) == eva_id, "bound before the first message"
    await chat.request({"type": "message", "text": "Ik wil iemand spreken over mijn aanvraag"})
    await chat.request({"type": "request_human"})
    offer = await socket.wait_for(lambda e: e["type"] == "offer" and e["conversation_id"] == conversation_id)
    await socket.request({"type": "accept", "conversation_id": offer["conversation_id"]})
    async with httpx.AsyncClient(base_url=service.http, cookies=agent.cookies) as http:
        view = (await http.get(f"/api/conversations/{conversation_id}/klantbeeld")).json()
    assert view["identified"] is True and view["partij"]["name"] == "Eva de Boer"
    async with db.sessions() as session:
        bound = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "conversation.bind_mijngemeente")))
            .scalars()
            .all()
        )
    assert [(b.partij_id, b.conversation_id) for b in bound] == [(eva_id, conversation_id)]
    for c in (chat, socket):
        await c.close()


async def test_nothing_else_binds(start_service, database_url, db):
    service = start_service(database_url)
    async with client(service) as eva, client(service) as youssef:
        await log_in(eva, "eva")
        await log_in(youssef, "youssef")
        cookie = chat_cookie(eva)
        partij, expires, signature = cookie.split(".")
        other = chat_cookie(youssef).split(".")
        changed = ("b" if signature[0] == "a" else "a") + signature[1:]  # always a different signature
        attempts = {
            "website channel": (cookie, "website"),
            "no cookie": (None, "mijngemeente"),
            "another partij": (f"{other[0]}.{expires}.{signature}", "mijngemeente"),
            "longer expiry": (f"{partij}.{int(expires) + 3600}.{signature}", "mijngemeente"),
            "changed signature": (f"{partij}.{expires}.{changed}", "mijngemeente"),
            "garbage": ("x" * 60, "mijngemeente"),
        }
        for reason, (value, channel) in attempts.items():
            chat, conversation_id = await start_chat(service, value, channel)
            assert await owner(db, conversation_id) is None, reason
            await chat.close()

        # After logout the same cookie binds nothing any more.
        page = await eva.get("/mijn")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        await eva.post("/mijn/uitloggen", data={"csrf": csrf.group(1)})
        chat, conversation_id = await start_chat(service, cookie)
        assert await owner(db, conversation_id) is None, "session ended"
        await chat.close()
        # Youssef's own cookie still works for him.
        chat, conversation_id = await start_chat(service, chat_cookie(youssef))
        async with db.sessions() as session:
            youssef_id = (
                await session.execute(select(Partij.id).where(Partij.display_name == "Youssef El Amrani"))
            ).scalar_one()
        assert await owner(db, conversation_id) == youssef_id
        await chat.close()
