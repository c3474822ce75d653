"""What the suite needs from the machine: a missing input skips with a reason, except in CI.

Locally a test whose input is absent (the OpenAPI specs, kubectl, PostgreSQL, redis-server)
is skipped with a sentence saying what is missing and how to provide it. With ``CI=true`` the
same absence fails the run: a CI that silently skipped the contract tests would pass without
having checked anything.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> NoReturn:
    """Skip (locally) or fail (CI=true) because a required input is missing."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a required input may not be skipped)", pytrace=False)
    pytest.skip(reason)
