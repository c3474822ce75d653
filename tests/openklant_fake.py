"""The spec-driven Open Klant of the contract tests (tests/klantbeeld_client/kb_fake_api.py),
stateful, for tests that point a real service at it (``start_service(..., **settings_for(api))``).

Reads the specs from ``$KLANTBEELD_SPECS_DIR`` (default ``<repo>/../shared/specs``); without
them the test is skipped. At the end every request the service sent, and every answer, must
have been valid by the spec.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from required_inputs import missing

sys.path.insert(0, str(Path(__file__).resolve().parent / "klantbeeld_client"))

from kb_fake_api import (  # noqa: E402
    KLANTINTERACTIES_PREFIX,
    OBJECTS_PREFIX,
    TOKEN,
    FakeApi,
    RunningServer,
    Spec,
    config_for,
)

__all__ = ["KLANTINTERACTIES_PREFIX", "FakeApi", "config_for", "open_klant", "settings_for"]


@cache
def _specs() -> tuple[Spec, ...] | None:
    configured = os.environ.get("KLANTBEELD_SPECS_DIR")
    directory = Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "specs"
    names = ("klantinteracties-openapi.yaml", "objects-openapi.yaml")
    if not all((directory / name).is_file() for name in names):
        return None
    return (Spec.load(directory / names[0], KLANTINTERACTIES_PREFIX), Spec.load(directory / names[1], OBJECTS_PREFIX))


@contextmanager
def open_klant() -> Iterator[FakeApi]:
    specs = _specs()
    if specs is None:
        missing("OpenAPI documents not found; set KLANTBEELD_SPECS_DIR to the folder holding them")
    api = FakeApi(list(specs))
    api.stateful = True
    server = RunningServer(api)
    try:
        yield api
    finally:
        server.close()
    assert api.requests_invalid == [], "the service sent requests the spec rejects"
    assert api.responses_invalid == [], "the fake server sent responses the spec rejects"


def settings_for(api: FakeApi, **overrides: Any) -> dict[str, Any]:
    """Settings that point a service at the fake (Open Klant only; no Objects API)."""
    return {
        "klantinteracties_url": api.url(KLANTINTERACTIES_PREFIX),
        "klantinteracties_token": TOKEN,
        "outbox_interval_seconds": 0.2,
        "outbox_backoff_seconds": 0.1,
        **overrides,
    }
