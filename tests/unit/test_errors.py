"""One exception root: every error the service raises on purpose carries a known, documented code."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import handover
from handover.core.errors import ERROR_TEXT, HandoverError
from handover.core.protocol import ProtocolError, error_event

PROTOCOL_DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def all_subclasses() -> list[type[HandoverError]]:
    """Every HandoverError subclass in the service (each module imported, so none hides)."""
    for module in pkgutil.walk_packages(handover.__path__, "handover."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: list[type[HandoverError]] = []
    todo = [HandoverError]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("handover.") and sub not in found:
                found.append(sub)
                todo.append(sub)
    return found


def test_every_code_is_documented_in_the_protocol() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", PROTOCOL_DOC.read_text(encoding="utf-8"), re.MULTILINE))
    assert sorted(set(ERROR_TEXT) - documented) == []


def test_every_code_has_dutch_text() -> None:
    for code, text in ERROR_TEXT.items():
        assert re.fullmatch(r"[a-z_]+", code)
        assert text.endswith(".") and len(text) > 10, code


def test_the_service_exceptions_share_the_root() -> None:
    names = {cls.__name__ for cls in all_subclasses()}
    expected = {
        "ProtocolError",
        "IllegalTransition",
        "AppendRefused",
        "Conflict",
        "AgentError",
        "Refused",
        "RasaUnavailable",
        "OidcRefused",
        "ResidentLoginError",
        "WeakPassword",
        "NotAllowed",
        "AlreadyBound",
        "LoginRequired",
        "PageNotFound",
        "CsrfRefused",
        "TaakNotPublished",
    }
    assert expected <= names


def test_each_class_has_its_own_known_code() -> None:
    owners: dict[str, str] = {}
    for cls in all_subclasses():
        assert cls.codes <= ERROR_TEXT.keys(), cls
        assert cls.code in cls.codes, cls
        if cls is ProtocolError or "code" not in cls.__dict__:
            continue  # the wire error carries any code; a subclass may keep its parent's
        assert cls.code not in owners, f"{cls.__name__} and {owners.get(cls.code)} both use {cls.code!r}"
        owners[cls.code] = cls.__name__


def test_an_unknown_code_is_refused_at_once() -> None:
    with pytest.raises(TypeError, match="not in ERROR_TEXT"):

        class Misspelt(HandoverError):
            code = "alredy_taken"

    from handover.services.conversations import Conflict

    with pytest.raises(ValueError, match="cannot carry"):
        Conflict("conversation_closed")


def test_the_error_carries_code_detail_and_a_safe_message() -> None:
    from handover.services.conversations import Conflict
    from handover.store.eventlog import AppendRefused

    conflict = Conflict("not_yours")
    assert conflict.code == "not_yours"
    assert conflict.message == ERROR_TEXT["not_yours"]
    assert AppendRefused("c1", None, None).code == "unknown_conversation"
    assert AppendRefused("c1", "closed", None).code == "conversation_closed"
    custom = HandoverError("boom", message="Probeer het later.")
    assert (custom.code, custom.message, str(custom)) == ("internal_error", "Probeer het later.", "boom")


def test_a_protocol_error_becomes_the_documented_event() -> None:
    error = ProtocolError("rate_limited", "too many messages", "c7", retry_after=1.5)
    assert error.event() == error_event("rate_limited", "too many messages", "c7", retry_after=1.5)
    assert error.event()["message"] == ERROR_TEXT["rate_limited"] == error.message
