"""`GET /exports/download?token=...`: serve a chat export through its signed link.

The action server writes the CSV under `<export_dir>/<shop_id>/` and signs a link with the
shared `SECRET_KEY` (`db.exports.links`); this router verifies it (and bounds its lifetime
to `EXPORT_LINK_TTL_S`, whatever the token claims) and streams the file.
A tampered or malformed token answers 403, an expired one 410, a missing file 404.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, JSONResponse, Response

from db.exports import ExpiredLinkError, InvalidLinkError, verify_download
from orchestrator.api.deps import SettingsDep

log = structlog.get_logger(__name__)


router = APIRouter(tags=["exports"])


def _refuse(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status)


@router.get(
    "/exports/download",
    response_class=FileResponse,
    responses={
        403: {"description": "invalid link"},
        404: {"description": "file gone"},
        410: {"description": "expired link"},
    },
)
def download_export(
    settings: SettingsDep,
    token: Annotated[str, Query(min_length=1, max_length=2048)],
) -> Response:
    """Verify the signed token and send the CSV as an attachment."""
    try:
        claim = verify_download(
            settings.signing_key, token, max_lifetime_s=settings.export_link_ttl_s
        )
        path = claim.path(settings.export_dir)
    except ExpiredLinkError:
        log.info("export_download_refused", reason="expired")
        return _refuse(
            410, "link_expired", "Este enlace de descarga venció. Pide una nueva exportación."
        )
    except InvalidLinkError as exc:
        log.warning("export_download_refused", reason="invalid", detail=str(exc))
        return _refuse(403, "invalid_link", "Este enlace de descarga no es válido.")
    if not path.is_file():
        log.warning("export_download_missing", shop_id=claim.shop_id, filename=claim.filename)
        return _refuse(404, "file_not_found", "El archivo de esta exportación ya no existe.")
    log.info("export_downloaded", shop_id=claim.shop_id, kind=claim.kind, filename=claim.filename)
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=claim.filename,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
