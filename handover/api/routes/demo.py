"""Demo pages with the embedded widget: a municipal page and a social-media landing page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(prefix="/demo", include_in_schema=False)
DEMO = Path(__file__).resolve().parents[2] / "web" / "demo"


@router.get("/website")
async def website() -> FileResponse:
    return FileResponse(DEMO / "website.html", media_type="text/html")


@router.get("/social")
async def social() -> FileResponse:
    """Landing page of a campaign post: ``?utm_source=facebook&utm_campaign=energiesubsidie``."""
    return FileResponse(DEMO / "social.html", media_type="text/html")


@router.get("/privacy")
async def privacy() -> FileResponse:
    return FileResponse(DEMO / "privacy.html", media_type="text/html")


@router.get("/demo.css")
async def stylesheet() -> FileResponse:
    return FileResponse(DEMO / "demo.css", media_type="text/css")
