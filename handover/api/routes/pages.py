"""Pages served to people: the demo chat at `/` and the agent console at `/console`."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from ...settings import Settings
from ...state import app_state

router = APIRouter(include_in_schema=False)
WEB = Path(__file__).resolve().parents[2] / "web"


@router.get("/")
async def demo_chat() -> FileResponse:
    return FileResponse(WEB / "static" / "demo.html", media_type="text/html")


LOGIN_FORM = '<form id="login-form"'


@router.get("/console")
async def console(request: Request) -> Response:
    """The console page; its login view offers the municipality's IdP when AGENT_OIDC_ISSUER is set,
    and loses the password form when AGENT_LOCAL_PASSWORDS=false."""
    settings: Settings = app_state(request).settings
    page = WEB / "console" / "console.html"
    if not settings.agent_oidc_issuer and settings.agent_local_passwords:
        return FileResponse(page, media_type="text/html")
    text = page.read_text(encoding="utf-8")  # noqa: ASYNC240 - a small file, read once per page load
    button = ""
    if settings.agent_oidc_issuer:
        button = (
            f'<p><a id="oidc-login" class="utrecht-button-link utrecht-button-link--primary-action" '
            f'href="/console/oidc/inloggen">{html.escape(settings.agent_oidc_button)}</a></p>\n    '
        )
    form = LOGIN_FORM if settings.agent_local_passwords else LOGIN_FORM + " hidden"
    return HTMLResponse(text.replace(LOGIN_FORM, button + form, 1), headers={"Cache-Control": "no-store"})
