"""Access logs show `/mijn/aanvraag/***`: a request link is a secret until it is claimed."""

from __future__ import annotations

import logging
import re


class HideLinkTokens(logging.Filter):
    """Access logs show `/mijn/aanvraag/***`: a request link is a secret until it is claimed."""

    _TOKEN = re.compile(r"(/mijn/aanvraag/)[^/?\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


def hide_link_tokens() -> None:
    """Install `HideLinkTokens` on uvicorn's access log (once; create_app calls it)."""
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideLinkTokens) for f in access_log.filters):
        access_log.addFilter(HideLinkTokens())
