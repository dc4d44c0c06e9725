"""The dashboard page `/admin/ui` and its static files (no build step, nothing from a CDN).

The page itself carries no data and needs no token: its script asks for the shop's admin
token in a login form, keeps it in the tab's `sessionStorage` and calls the JSON API with
`Authorization: Bearer`. A token is never taken from the URL: URLs are written to access
logs and browser history (a `?token=` that still arrives is redacted from the logs by
`orchestrator.log_redaction`). Chart.js is vendored under `static/admin/vendor/`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = PACKAGE_DIR / "static" / "admin"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".md": "text/plain"}

router = APIRouter()


@lru_cache
def templates() -> Jinja2Templates:
    """The Jinja2 environment of the orchestrator's templates, built once on first use."""
    return Jinja2Templates(directory=TEMPLATES_DIR)


@router.get("/ui", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(request: Request) -> HTMLResponse:
    """The server-rendered dashboard shell."""
    response = templates().TemplateResponse(
        request, "admin/dashboard.html", {"static": "/admin/static"}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/static/{path:path}", include_in_schema=False)
def static_file(path: str) -> FileResponse:
    """A file under `orchestrator/static/admin/` (never outside it); 404 for anything else."""
    if "\x00" in path:  # the OS refuses NUL in a path (ValueError), it names no file
        raise HTTPException(404, detail="Not found")
    target = (STATIC_DIR / path).resolve()
    if not target.is_file() or not target.is_relative_to(STATIC_DIR):
        raise HTTPException(404, detail="Not found")
    media_type = _MEDIA_TYPES.get(target.suffix)
    return FileResponse(
        target, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"}
    )
