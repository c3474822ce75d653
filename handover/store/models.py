"""SQL tables: the durable record of every conversation. Alembic migrations mirror this file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# The one time helper (core/clock.py), re-exported: every stored moment is in UTC.
from ..core.clock import as_utc as as_utc
from ..core.clock import utcnow as utcnow
from ..core.lifecycle import State


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # SHA-256 of the resident's resume token: a leaked table does not let anyone resume.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The same VARCHAR(24) as before (no CHECK constraint, no migration); reads give State members.
    state: Mapped[State] = mapped_column(
        Enum(State, native_enum=False, length=24, values_callable=lambda states: [s.value for s in states]),
        default=State.BOT,
        index=True,
    )
    team: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(Integer)
    # The highest sequence number handed out; bumped in the same transaction as each insert.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    topic: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(40), default="website")
    lang: Mapped[str] = mapped_column(String(8), default="nl")
    page: Mapped[str | None] = mapped_column(Text)
    referrer: Mapped[str | None] = mapped_column(Text)
    utm: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The product the embedding page names (widget option `topic`); with utm, the bot's prior.
    topic_hint: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Handover and queue (the live-handover work).
    handover_reason: Mapped[str | None] = mapped_column(String(40))
    handover_summary: Mapped[str | None] = mapped_column(Text)
    form: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # Higher goes first: a chat that lost its agent returns to the front.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    offered_agent_id: Mapped[int | None] = mapped_column(Integer)
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Agents who let an offer for this chat expire; it goes to someone else next.
    declined_by: Mapped[list[Any] | None] = mapped_column(JSON)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str | None] = mapped_column(Text)
    feedback_score: Mapped[int | None] = mapped_column(Integer)
    feedback_comment: Mapped[str | None] = mapped_column(Text)
    # Set when the resident logs in (MijnGemeente); anonymous until then.
    partij_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Everything up to this seq has been read by the agent.
    agent_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the resident's last socket closed (None while connected); a queued resident gone
    # longer than the grace period is moved to ``abandoned`` by the router.
    resident_left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Message(Base):
    """One event of a conversation's record: a message from anyone, or a state change."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        # A retransmitted client id finds its original instead of a second row.
        UniqueConstraint("conversation_id", "client_id", name="uq_messages_conversation_client_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # "message" | "state"
    author: Mapped[str] = mapped_column(String(16))  # resident | bot | agent | system
    author_name: Mapped[str | None] = mapped_column(String(120))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    buttons: Mapped[list[Any] | None] = mapped_column(JSON)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Team(Base):
    __tablename__ = "teams"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # {"0": ["08:30", "17:00"], ...} by ISO weekday 1-7 in the service's time zone; None = always open.
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))  # "" for agents who sign in only through OIDC
    max_chats: Mapped[int] = mapped_column(Integer, default=3)
    role: Mapped[str] = mapped_column(String(16), default="agent", server_default="agent")  # agent|supervisor|beheerder
    # "<issuer> <sub>" of an agent who signs in through OpenID Connect.
    oidc_subject: Mapped[str | None] = mapped_column(String(300), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="offline")  # online | pauze | offline
    last_assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AgentTeam(Base):
    __tablename__ = "agent_teams"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    team_key: Mapped[str] = mapped_column(ForeignKey("teams.key", ondelete="CASCADE"), primary_key=True)


class AgentSession(Base):
    __tablename__ = "agent_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CannedResponse(Base):
    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_key: Mapped[str] = mapped_column(ForeignKey("teams.key", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)


class CallbackTask(Base):
    """A call-back request or message left when no agent could take the chat."""

    __tablename__ = "callback_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    team_key: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="te_verwerken")  # te_verwerken | verwerkt
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- the klantbeeld (integrated customer view), the embedded default ---------------------------


class Partij(Base):
    """A resident, once identified (until then their conversations have no partij)."""

    __tablename__ = "partijen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Keyed hash (HMAC-SHA256 with IDENTIFIER_HASH_KEY) of "<type>:<value>", e.g. a BSN: matches the same
    # person at every login without storing the number itself.
    identifier_hash: Mapped[str] = mapped_column(String(64), unique=True)
    identifier_hint: Mapped[str] = mapped_column(String(40))  # masked, e.g. "BSN *******82"
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    preferred_language: Mapped[str] = mapped_column(String(8), default="nl")
    preferred_channel: Mapped[str] = mapped_column(String(20), default="chat")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The same person's partij in Open Klant (found by BSN at login, or created): the betrokkene
    # of every chat registration points at it, and its klantcontacten of other channels are shown.
    klantinteracties_url: Mapped[str | None] = mapped_column(String(1000))


class Klantcontact(Base):
    """One contact on any channel, registered when a conversation closes."""

    __tablename__ = "klantcontacten"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), unique=True
    )
    partij_id: Mapped[int | None] = mapped_column(ForeignKey("partijen.id", ondelete="SET NULL"), index=True)
    kanaal: Mapped[str] = mapped_column(String(50), default="chat")
    onderwerp: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(40))
    agent_name: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConceptRequest(Base):
    """A request an agent prepared from a conversation, for the resident to complete."""

    __tablename__ = "concept_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Hash of the link token sent in the chat; the link binds to the first resident who logs in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    partij_id: Mapped[int | None] = mapped_column(ForeignKey("partijen.id", ondelete="SET NULL"), index=True)
    request_type: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | ingediend | afgehandeld | ingetrokken
    created_by: Mapped[str | None] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConceptRequestStatus(Base):
    __tablename__ = "concept_request_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    concept_request_id: Mapped[int] = mapped_column(ForeignKey("concept_requests.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ResidentSession(Base):
    __tablename__ = "resident_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    partij_id: Mapped[int] = mapped_column(ForeignKey("partijen.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # "bsn:123456782" as the login vouched for it: the partij keeps only a hash, but a taak in
    # the Objects API must name the resident (Open Inwoner shows it by BSN). Gone with the session.
    identificatie: Mapped[str | None] = mapped_column(String(40))


class AuditEntry(Base):
    """Who looked at or changed whose data, and why (AVG accountability)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))  # "agent:3", "resident:7"
    action: Mapped[str] = mapped_column(String(60))  # "klantbeeld.view", "concept_request.publish", ...
    partij_id: Mapped[int | None] = mapped_column(Integer, index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[str | None] = mapped_column(Text)


class AuditPurge(Base):
    """Present only inside the retention purge's transaction: the one time audit rows may go.

    ``audit_log`` is append-only: database triggers (migration 0005) refuse every UPDATE, and
    every DELETE unless this table has a row (which only the purging transaction can see).
    """

    __tablename__ = "audit_purge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class OutboxItem(Base):
    """Work for a remote API (Klantinteracties, Objects), retried until it is done.

    The ``key`` makes enqueueing idempotent; the remote calls themselves resume from the
    ``result`` saved after each step, so a retry never creates a second klantcontact.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # klantcontact | internetaak | taak
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | done
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
