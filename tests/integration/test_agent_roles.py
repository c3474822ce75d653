"""Agents with a local password get a role too: handover-admin create-agent --role, shown by /api/me."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from handover import cli


def test_a_local_agent_gets_the_role_given_at_creation(
    sqlite_url: str, start_service: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("HANDOVER_PASSWORD", "correct-horse-battery")
    assert cli.main(["create-agent", "joke", "Joke Smit", "--teams", "burgerzaken", "--role", "supervisor"]) == 0
    assert cli.main(["create-agent", "piet", "Piet Bakker", "--teams", "burgerzaken"]) == 0
    capsys.readouterr()
    cli.main(["list-agents"])
    listed = {line.split()[0]: line.split()[3] for line in capsys.readouterr().out.splitlines()}
    assert listed == {"joke": "supervisor", "piet": "agent"}
    service = start_service(sqlite_url)
    with httpx.Client(base_url=service.http) as http:
        http.post("/api/auth/login", json={"username": "joke", "password": "correct-horse-battery"}).raise_for_status()
        assert http.get("/api/me").json()["role"] == "supervisor"
    with pytest.raises(SystemExit):
        cli.main(["create-agent", "kees", "Kees", "--teams", "burgerzaken", "--role", "koning"])
