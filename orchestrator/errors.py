"""Error responses that can always be rendered (a bad request is a 4xx, never a 500).

FastAPI's default 422 echoes the offending input; a lone surrogate (`"\\ud800"`) in it
cannot be encoded as UTF-8 JSON and turned a validation error into a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def _printable(value: Any) -> Any:
    """`value` with every string made encodable (unencodable characters replaced)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with the validation errors, safe to encode whatever the client sent."""
    assert isinstance(exc, RequestValidationError)
    errors = _printable(jsonable_encoder(exc.errors(), custom_encoder={bytes: repr}))
    return JSONResponse({"detail": errors}, status_code=422)


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(RequestValidationError, validation_error)
