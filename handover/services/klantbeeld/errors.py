"""What the klantbeeld refuses: another resident's data, an expired or already bound link."""

from __future__ import annotations

from ...core.errors import HandoverError


class NotAllowed(HandoverError):
    """The caller may not see or change this (another resident's data, an expired link)."""

    code = "not_allowed"


class AlreadyBound(NotAllowed):
    """The request or its conversation already belongs to another resident: never re-bound."""

    code = "already_bound"
