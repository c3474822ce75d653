"""Action tests: a rasa_sdk Tracker is built from a JSON fixture, the action runs, and the test
asserts the exact messages and events. Run from bot/: .venv/bin/pytest"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

BOT_DIR = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(BOT_DIR))

from actions import catalogue  # noqa: E402


@pytest.fixture(autouse=True)
def test_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stable test texts; the real catalogue has its own test in test_catalogue.py."""
    monkeypatch.setattr(catalogue, "CATALOGUE_PATH", FIXTURES / "catalogue.yml")
    monkeypatch.delenv("GEMEENTE_BASE_URL", raising=False)
    catalogue._cache.clear()


def load_tracker(name: str) -> Tracker:
    return Tracker.from_dict(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def run(action: Action, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(messages, events); messages keep only the fields the REST channel passes on."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    messages = [{k: v for k, v in m.items() if k in ("text", "buttons", "custom") and v} for m in dispatcher.messages]
    return messages, events
