"""MijnGemeente: the resident's own pages (requests, contacts, preferences), server-rendered.

Every page works without JavaScript. Resident and agent text is untrusted: the templates are
autoescaped. Anything that is not the logged-in resident's own gets the same 404 page as
something that does not exist, so a page never confirms that someone else's data exists.

    pages.py             MijnRoute (errors become pages, the headers of personal pages), templates,
                         the messages, the stylesheet (/mijn/stijl.css)
    session.py           the logged-in resident, cookies, the service's parts a page uses
    forms.py             form parsing and validation: CSRF, a request's fields, the preferences
    log_filter.py        access logs hide request link tokens (installed by create_app)
    login.py             /mijn/inloggen, /mijn/inloggen/terug, /mijn/uitloggen
    links.py             /mijn/aanvraag/<token>, /mijn/koppelen: the link from the chat
    overview.py          /mijn
    concept_requests.py  /mijn/aanvragen, /mijn/aanvragen/<id>
    contacts.py          /mijn/contacten
    preferences.py       /mijn/gegevens, its inzage download and erasure

``router`` holds every page; main.py includes it.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import concept_requests, contacts, links, login, overview, pages, preferences
from .log_filter import hide_link_tokens

router = APIRouter()
for group in (pages, login, links, overview, concept_requests, contacts, preferences):
    router.include_router(group.router)

__all__ = ["hide_link_tokens", "router"]
