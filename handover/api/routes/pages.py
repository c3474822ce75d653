"""Pages served to people: the demo chat at `/` and the agent console at `/console`."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)
WEB = Path(__file__).resolve().parents[2] / "web"


@router.get("/")
async def demo_chat() -> FileResponse:
    return FileResponse(WEB / "static" / "demo.html", media_type="text/html")


@router.get("/console")
async def console() -> FileResponse:
    return FileResponse(WEB / "console" / "console.html", media_type="text/html")
