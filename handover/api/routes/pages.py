"""Pages served to people: the demo chat at `/`."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


@router.get("/")
async def demo_chat() -> FileResponse:
    return FileResponse(STATIC / "demo.html", media_type="text/html")
