"""One settings class for the handover service, read from the environment (and `.env`)."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    """Configuration of one handover instance.

    Every field maps to an upper-case environment variable (``DATABASE_URL``, ``REDIS_URL``, ...).
    Outside ``ENVIRONMENT=development`` the service refuses to start with a default secret or
    without an Origin allow-list.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    secret_key: str = DEVELOPMENT_SECRET

    database_url: str = "sqlite:///var/handover.db"
    redis_url: str = "redis://127.0.0.1:6379/0"
    rasa_url: str = "http://127.0.0.1:5005"
    # Rasa's API token (`rasa run --auth-token`); empty = Rasa runs without one (development).
    rasa_token: str = ""
    rasa_timeout_seconds: float = 15.0
    # After Rasa failed, it counts as down this long: residents are told at once, not after a timeout.
    rasa_retry_seconds: float = 5.0

    # Websocket limits and behaviour (docs/protocol.md).
    max_frame_bytes: int = 64 * 1024  # room for 4096 characters even when JSON-escaped
    max_text_chars: int = 4096
    # HTTP request bodies larger than this get 413 (nginx has the same limit: client_max_body_size).
    max_body_bytes: int = 1024 * 1024
    heartbeat_seconds: float = 20.0
    # uvicorn's websocket implementation: "websockets-sansio" keeps no tasks of its own per socket.
    ws_implementation: str = "websockets-sansio"
    # Connections to Redis per process; a burst waits for a free one instead of failing.
    redis_max_connections: int = 64
    rate_limit_messages: int = 20
    rate_limit_window_seconds: float = 10.0
    # Empty means "check nothing" (development only); production requires a list.
    allowed_origins: list[str] = Field(default_factory=list)
    # Abuse limits per minute, per client address and for the whole deployment (all instances).
    limit_starts_per_address: int = 60
    limit_handovers_per_address: int = 20
    limit_callbacks_per_address: int = 10
    limit_starts_global: int = 6000
    limit_handovers_global: int = 1200
    # Typing indicators per connection: at most this many per 10 s (more are dropped silently).
    limit_typing_per_connection: int = 30
    # Proxies whose X-Forwarded-For is believed (e.g. ["10.0.0.5"]); empty: the peer address counts.
    trusted_proxies: list[str] = Field(default_factory=list)

    instance_name: str = "handover-1"
    # Prefix of every Redis key and channel of this deployment (instances of one deployment share it).
    redis_namespace: str = "handover"

    # Agents and routing.
    session_hours: float = 8.0
    router_interval_seconds: float = 1.0
    offer_timeout_seconds: float = 30.0
    # Offer a waiting chat first to a free agent whose console is on the resident's instance (no
    # message of that chat crosses Redis); off: strictly the agent idle longest.
    route_same_instance_first: bool = True
    agent_grace_seconds: float = 60.0
    # A queued resident whose socket is gone this long leaves the queue as "abandoned".
    resident_grace_seconds: float = 120.0
    # Queue views are recomputed at most this often per team: a storm of handovers costs one
    # computation per batch, not one per waiting chat per event.
    queue_push_interval_seconds: float = 0.25
    presence_ttl_seconds: float = 10.0
    # An agent socket re-reads its chats and queues from SQL this often, so a lost pub/sub message
    # ("assigned", "released", a queue change) is repaired instead of lasting until a reload.
    agent_reconcile_seconds: float = Field(default=15.0, gt=0)
    timezone: str = "Europe/Amsterdam"
    holidays: list[str] = Field(default_factory=list)  # ISO dates on which every team is closed

    # Klantbeeld, concept requests and MijnGemeente.
    public_base_url: str = "http://localhost:8000"  # links in registrations point here
    catalogue_path: str = "bot/catalogue/producten.yml"  # request types for concept requests
    concept_request_days: int = 14  # a concept-request link expires after this
    # Remote registration (empty: only the own tables). Tokens are Open Klant / Objects API tokens.
    klantinteracties_url: str = ""
    klantinteracties_token: str = ""
    objects_url: str = ""
    objects_token: str = ""
    objects_taak_type_url: str = ""
    objects_taak_type_version: int = 1
    objects_owner: str = "gemeente"
    form_url_template: str = "https://formulieren.example.nl/{type}"
    # The transcript link in a klantcontact's bijlage (services/transcripts.py): signed with this
    # key (empty: derived from SECRET_KEY) and valid this many days.
    transcript_link_key: str = ""
    # Key of the partij identifier hash (BSN/KvK -> partijen.identifier_hash). Kept apart from
    # SECRET_KEY so that rotating the session key does not turn every resident into a new person.
    # Empty: SECRET_KEY, which is what every hash made before this setting used. Migration path
    # (docs/deployment.md): set IDENTIFIER_HASH_KEY to the current SECRET_KEY, then rotate
    # SECRET_KEY freely. Changing this key itself orphans every stored partij.
    identifier_hash_key: str = ""
    transcript_link_days: int = Field(default=30, ge=1)
    # MijnGemeente login: create the resident's partij in Open Klant when no partij has their BSN
    # (False: only find it). The other channels' klantcontacten of a partij are cached this long
    # per instance, and a read that takes longer than the timeout shows the own tables and a note.
    klantinteracties_create_partij: bool = False
    klantinteracties_cache_seconds: float = 60.0
    klantinteracties_read_timeout_seconds: float = 3.0
    outbox_interval_seconds: float = 5.0
    outbox_backoff_seconds: float = 10.0

    # Privacy: BSNs and IBANs are always masked in stored text; phone numbers and e-mail optionally.
    mask_phone: bool = False
    mask_email: bool = False
    # Conversations (transcripts, notes, call-backs, concept requests) and audit entries older
    # than this are deleted by `handover-admin purge` (run it daily, e.g. from cron).
    retention_days: int = Field(default=90, ge=1)

    # Apply database migrations at start-up (under a PostgreSQL advisory lock, so replicas that
    # start together migrate once); off: run `handover-admin migrate` (compose's migrate service,
    # the Kubernetes Job) before starting.
    migrate_on_start: bool = False

    # --- operability (docs/deployment.md, "Logs and traces") ---
    log_format: Literal["text", "json"] = "text"  # json: one event per line, no chat text or personal data
    log_level: str = "INFO"
    # OpenTelemetry tracing of HTTP requests and outgoing HTTP calls; off by default.
    tracing_enabled: bool = False
    tracing_exporter: Literal["otlp", "console"] = "otlp"
    # OTLP/HTTP collector base URL (".../v1/traces" is appended); empty: the exporter's default.
    otel_exporter_otlp_endpoint: str = ""
    tracing_service_name: str = "handover"
    tracing_sample_ratio: float = Field(default=1.0, ge=0, le=1)

    # --- sign-in (docs/authentication.md) ---
    # Agents: local passwords (handover-admin create-agent) can be switched off once OIDC works.
    agent_local_passwords: bool = True
    # OpenID Connect for agents: authorization code flow with PKCE; an empty issuer switches it off.
    agent_oidc_issuer: str = ""
    agent_oidc_client_id: str = ""
    agent_oidc_client_secret: str = ""
    agent_oidc_scope: str = "openid profile email"
    agent_oidc_button: str = "Inloggen met je account van de gemeente"
    agent_oidc_username_claim: str = "preferred_username"
    # Roles from a claim (a dotted path: "roles" for Entra ID, "realm_access.roles" for Keycloak,
    # "groups"); values are mapped by AGENT_OIDC_ROLE_MAP ({"idp value": "agent|supervisor|beheerder"};
    # empty: the values must be those names). No known role: the sign-in is refused.
    agent_oidc_roles_claim: str = "roles"
    agent_oidc_role_map: dict[str, str] = Field(default_factory=dict)
    # Teams from a claim, mapped by AGENT_OIDC_TEAM_MAP ({"idp value": "team key"}; empty: the values
    # are team keys). Without the claim in the token, the teams set locally (handover-admin) stay.
    agent_oidc_teams_claim: str = "teams"
    agent_oidc_team_map: dict[str, str] = Field(default_factory=dict)
    # Residents (MijnGemeente): "development" (test personas), "oidc" (a DigiD/eHerkenning OIDC
    # broker, below) or "package.module:factory".
    resident_idp: str = "development"
    resident_oidc_issuer: str = ""
    resident_oidc_client_id: str = ""
    resident_oidc_client_secret: str = ""
    resident_oidc_scope: str = "openid"
    resident_oidc_name: str = "DigiD"  # shown on the button: "Inloggen met DigiD"
    resident_oidc_bsn_claim: str = "bsn"
    resident_oidc_kvk_claim: str = "kvk"
    resident_oidc_name_claim: str = "name"
    # Clocks of the IdP and this service may differ this much when checking exp and iat.
    oidc_clock_skew_seconds: float = Field(default=60, ge=0, le=600)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32:
                raise ValueError("SECRET_KEY must be set to a random value of 32+ characters in production")
            if not self.allowed_origins:
                raise ValueError("ALLOWED_ORIGINS must list the sites that may open a websocket in production")
            if not self.agent_local_passwords and not self.agent_oidc_issuer:
                raise ValueError("AGENT_LOCAL_PASSWORDS=false needs AGENT_OIDC_ISSUER: agents could not sign in")
            clients = [("AGENT", self.agent_oidc_issuer, self.agent_oidc_client_id, self.agent_oidc_client_secret)]
            if self.resident_idp == "oidc":
                clients.append(
                    (
                        "RESIDENT",
                        self.resident_oidc_issuer,
                        self.resident_oidc_client_id,
                        self.resident_oidc_client_secret,
                    )
                )
            for who, issuer, client_id, secret in clients:
                if issuer and not (issuer.startswith("https://") and client_id and secret):
                    raise ValueError(
                        f"{who}_OIDC_ISSUER must be https:// and needs {who}_OIDC_CLIENT_ID and "
                        f"{who}_OIDC_CLIENT_SECRET in production"
                    )
        return self

    @cached_property
    def async_database_url(self) -> str:
        """The database URL with the async driver this service uses (aiosqlite, asyncpg)."""
        return to_async_url(self.database_url)

    @property
    def partij_hash_key(self) -> str:
        """The key of the partij identifier hash: IDENTIFIER_HASH_KEY, else SECRET_KEY."""
        return self.identifier_hash_key or self.secret_key


def to_async_url(url: str) -> str:
    """Map a plain ``sqlite://`` or ``postgresql://`` URL to its asyncio driver."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url
