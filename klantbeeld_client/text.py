"""Text helpers for the API's length limits."""

from __future__ import annotations

ELLIPSIS = "…"


def truncate_text(text: str, limit: int = 1000, marker: str = ELLIPSIS) -> str:
    """``text`` if it fits in ``limit`` characters, else a shortened version that does.

    The cut falls on a word boundary when one is near (within the last fifth), and
    ``marker`` shows that something was left out. The result is never longer than
    ``limit``, so it is safe for ``inhoud`` (1000) or ``onderwerp`` (200).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    text = text.strip()
    if len(text) <= limit:
        return text
    if len(marker) >= limit:
        return text[:limit]
    room = limit - len(marker)
    cut = text[:room]
    boundary = cut.rfind(" ")
    if boundary >= room * 4 // 5:
        cut = cut[:boundary]
    return cut.rstrip(" \t\n,;:-") + marker
