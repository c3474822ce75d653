"""Subsidy check (placeholder, filled in later)."""
from rasa_sdk import Tracker


def describe_answers(tracker: Tracker) -> str:
    return ""
