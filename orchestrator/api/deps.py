"""FastAPI dependencies as `Annotated` aliases."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from orchestrator.logging import get_logger
from orchestrator.services import Services
from orchestrator.settings import Settings

log = get_logger("orchestrator.api")


def get_services(request: Request) -> Services:
    """The services built by the lifespan."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings_dep(services: ServicesDep) -> Settings:
    """The app's settings."""
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_db(services: ServicesDep) -> Iterator[Session]:
    """A session per request, committed on success."""
    session = services.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_db)]

_ops_bearer = HTTPBearer(auto_error=False, description="METRICS_TOKEN")


def ops_access(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_ops_bearer)],
) -> bool:
    """Whether the caller may see operational detail (`/metrics`, `/health`'s details).

    With `METRICS_TOKEN` set: only with `Authorization: Bearer <METRICS_TOKEN>` (compared in
    constant time; a shop's admin token is not enough, the detail spans every shop).
    Without it: in development only.
    """
    if settings.metrics_token is None:
        return settings.is_development
    given = credentials.credentials if credentials else ""
    expected = settings.metrics_token.get_secret_value()
    return hmac.compare_digest(given.encode(), expected.encode())


OpsAccessDep = Annotated[bool, Depends(ops_access)]


def public_url(request: Request, settings: Settings) -> str:
    """The URL Twilio called: `PUBLIC_BASE_URL` + path, else rebuilt from X-Forwarded-*."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/") + path
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
    if proto or host:
        return f"{proto or request.url.scheme}://{host or request.url.netloc}{path}"
    return str(request.url)


FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


async def verified_twilio_form(request: Request, settings: SettingsDep) -> FormData:
    """The webhook's form fields, after checking `X-Twilio-Signature` (403 otherwise).

    Twilio only ever posts `application/x-www-form-urlencoded`; anything else (a multipart
    upload with a file part, JSON) is refused with 415 before the body is parsed, so the
    signature check only ever sees text fields. The body size is capped earlier, by
    `orchestrator.body_limit`.
    """
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise HTTPException(status_code=415, detail=f"expected {FORM_MEDIA_TYPE}")
    form = await request.form()
    if not settings.twilio_validate_signature and settings.app_env == "development":
        return form
    signature = request.headers.get(SIGNATURE_HEADER)
    if not settings.twilio_auth_token or not signature:
        log.warning("twilio.signature_missing", has_token=bool(settings.twilio_auth_token))
        raise HTTPException(status_code=403, detail="invalid signature")
    url = public_url(request, settings)
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    validator = RequestValidator(settings.twilio_auth_token)
    if not validator.validate(url, form, signature, algorithm):
        log.warning("twilio.signature_invalid", url=url)
        raise HTTPException(status_code=403, detail="invalid signature")
    return form


TwilioFormDep = Annotated[FormData, Depends(verified_twilio_form)]
