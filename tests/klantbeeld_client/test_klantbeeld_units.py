"""Pieces without a server: text truncation, error messages, models."""

from __future__ import annotations

import pytest

from klantbeeld_client import (
    ApiError,
    KlantbeeldError,
    Klantcontact,
    NotFound,
    Problem,
    ServerError,
    TransportError,
    ValidationError,
    truncate_text,
    uuid_of,
)
from klantbeeld_client.models import Actor


def test_truncate_text_keeps_short_text_and_cuts_long_text_on_a_word():
    assert truncate_text("  kort  ", 10) == "kort"
    long = "woord " * 300
    cut = truncate_text(long, 1000)
    assert len(cut) <= 1000
    assert cut.endswith("woord…")
    assert truncate_text("a" * 50, 10) == "a" * 9 + "…"  # no space nearby: hard cut
    assert truncate_text("abcdef", 2, marker="...") == "ab"
    with pytest.raises(ValueError):
        truncate_text("x", 0)


def test_every_error_is_a_klantbeeld_error():
    for cls in (ApiError, ValidationError, NotFound, ServerError, TransportError):
        assert issubclass(cls, KlantbeeldError)
    assert issubclass(ValidationError, ApiError) and issubclass(NotFound, ApiError)


def test_error_without_problem_body_shows_the_text():
    error = ApiError(418, "GET", "https://x.example/a", body="I'm a teapot")
    assert str(error) == "GET https://x.example/a returned 418: I'm a teapot"
    assert Problem.from_body(["not", "a", "problem"]) is None


def test_transport_error_repr_names_the_cause():
    cause = ConnectionRefusedError("refused")
    error = TransportError("POST", "https://x.example/a", 4, cause)
    assert repr(error) == (
        "TransportError(method='POST', url='https://x.example/a', attempts=4, cause=ConnectionRefusedError('refused'))"
    )


def test_uuid_of_accepts_uuid_or_url():
    u = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert uuid_of(u) == u
    assert uuid_of(f"https://k.example/api/v1/partijen/{u}") == u
    with pytest.raises(ValueError, match="not a UUID"):
        uuid_of("https://k.example/api/v1/partijen")


def test_read_models_keep_unknown_members():
    actor = Actor.model_validate({"uuid": "u", "url": "https://x/u", "naam": "Bot", "nieuwVeld": 1})
    assert actor.model_extra == {"nieuwVeld": 1}


def test_klantcontact_model_reads_a_minimal_body():
    kc = Klantcontact.model_validate(
        {
            "uuid": "u",
            "url": "https://x/u",
            "kanaal": "chat",
            "onderwerp": "o",
            "taal": "nld",
            "vertrouwelijk": True,
            "nummer": None,
        }
    )
    assert kc.had_betrokkenen == [] and kc.expand == {}
