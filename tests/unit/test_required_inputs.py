"""A missing input (specs, kubectl, a server) skips locally and fails under CI=true."""

from __future__ import annotations

import pytest
import required_inputs
from _pytest.outcomes import Failed, Skipped


def test_missing_input_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(required_inputs, "IN_CI", False)
    with pytest.raises(Skipped, match="kubectl is not installed"):
        required_inputs.missing("kubectl is not installed")


def test_missing_input_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(required_inputs, "IN_CI", True)
    with pytest.raises(Failed, match="kubectl is not installed.*may not be skipped"):
        required_inputs.missing("kubectl is not installed")
