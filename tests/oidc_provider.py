"""A real OpenID Provider for the sign-in tests: panva's `oidc-provider` (tests/oidc/op.mjs) under Node.

The test picks the provider's port first (the service under test needs the issuer URL in its
settings), starts the service, and then starts the provider with the service's redirect URIs: the
service reads the provider's discovery document only at the first sign-in.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import stack
from joserfc.jwk import RSAKey

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
NODE = shutil.which("node") or "/usr/bin/node"

# Who can sign in (any password is accepted by the provider's development login form).
ACCOUNTS: dict[str, dict[str, Any]] = {
    "marieke": {
        "name": "Marieke Jansen",
        "preferred_username": "marieke",
        "email": "marieke@gemeente.example",
        "roles": ["chat-medewerker"],
        "teams": ["burgerzaken"],
    },
    "sanne": {
        "name": "Sanne de Vries",
        "preferred_username": "sanne",
        "roles": ["chat-supervisor", "chat-medewerker"],
        "teams": ["burgerzaken", "belastingen"],
    },
    "zonder-rol": {"name": "Bram Zonderrol", "preferred_username": "bram", "roles": ["boekhouding"]},
    "eva": {"name": "Eva de Boer", "bsn": "999993653"},
    "bedrijf": {"name": "Bakkerij Test B.V.", "kvk": "69599084"},
    "geen-bsn": {"name": "Iemand Zonder Nummer"},
    # Tampered ID tokens (op.mjs); with a role and a BSN, so nothing else could refuse them.
    "wrong-audience": {"name": "Wrong Audience", "roles": ["chat-medewerker"], "bsn": "999990019"},
    "expired": {"name": "Expired Token", "roles": ["chat-medewerker"], "bsn": "999990019"},
    "bad-signature": {"name": "Bad Signature", "roles": ["chat-medewerker"], "bsn": "999990019"},
}
QUIRKS = {name: name for name in ("wrong-audience", "expired", "bad-signature")}
ROLE_MAP = {"chat-medewerker": "agent", "chat-supervisor": "supervisor", "chat-beheerder": "beheerder"}


def new_key(kid: str) -> dict[str, Any]:
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
    return key.as_dict(private=True)


def ensure_installed() -> None:
    """`npm ci` into tests/oidc/node_modules (scripts/bootstrap.sh does it too)."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(OIDC_DIR)],  # noqa: S603,S607
            check=True,
            capture_output=True,
            timeout=300,
        )


@dataclass
class OpenIdProvider:
    workdir: Path
    port: int = field(default_factory=stack.free_port)
    keys: list[dict[str, Any]] = field(default_factory=lambda: [new_key("key-1")])
    clients: list[dict[str, Any]] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> tuple[str, str]:
        """Register a client (its redirect URIs are given to start()); returns (client id, secret)."""
        client_id, secret = f"client-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
        self.clients.append({"client_id": client_id, "client_secret": secret})
        return client_id, secret

    def start(self, redirect_uris: list[str]) -> None:
        ensure_installed()
        for client in self.clients:
            client["redirect_uris"] = redirect_uris
        config = self.workdir / f"op-{uuid.uuid4().hex[:6]}.json"
        config.write_text(
            json.dumps(
                {
                    "port": self.port,
                    "issuer": self.issuer,
                    "keys": self.keys,
                    "clients": self.clients,
                    "accounts": ACCOUNTS,
                    "quirks": QUIRKS,
                }
            )
        )
        log = self.workdir / f"{config.stem}.log"
        with log.open("w") as errors:  # its warnings (development adapter and interactions) go here
            self.process = subprocess.Popen(
                [NODE, str(OIDC_DIR / "op.mjs"), str(config)],  # noqa: S603
                cwd=OIDC_DIR,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until the provider listens, or "" when it died
        assert line.startswith("ready"), f"oidc-provider did not start: {line}{log.read_text()}"

    def rotate_keys(self) -> None:
        """Restart (same issuer) signing with a new key, the old one still published; as an IdP rotating."""
        redirect_uris = self.clients[0]["redirect_uris"]
        self.stop()
        self.keys = [new_key(f"key-{len(self.keys) + 1}"), *self.keys]
        self.start(redirect_uris)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.S)


async def sign_in(http: httpx.AsyncClient, start: str, login: str) -> httpx.Response:
    """Follow a sign-in from ``start`` (a URL of the service) through the provider's own login form.

    Returns the last response (the page the browser would show); ``response.history`` holds the way
    there, the callback included.
    """
    page = await http.get(start, follow_redirects=True)
    assert page.status_code == 200 and 'name="login"' in page.text, page.text[:500]
    action = html.unescape(_FORM.search(page.text).group(1))  # type: ignore[union-attr]
    return await http.post(
        str(page.url.join(action)), data={"prompt": "login", "login": login, "password": "x"}, follow_redirects=True
    )


def callback_url(response: httpx.Response, path: str) -> str:
    for step in [*response.history, response]:
        if step.url.path == path:
            return str(step.url)
    raise AssertionError(f"the sign-in never reached {path}")
