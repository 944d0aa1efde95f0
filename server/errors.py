"""JSON errors with a stable ``code``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorBody(BaseModel):
    """Every error response: a stable ``code`` and a message a person can read."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "Not authenticated",
        403: "Not allowed",
        404: "Not found (or not yours)",
        409: "Conflicts with the conversation's state",
        413: "Body too large",
        422: "Invalid request",
        429: "Rate limited (see Retry-After)",
        503: "A dependency is down",
    }.items()
}
"""Documented on every router, so the OpenAPI schema says what errors look like."""


class ApiError(Exception):
    """An error the API returns as ``{"code", "message"}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers, self.extra = headers, extra or {}


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as JSON with a ``code``."""

    def count(code: str) -> None:
        metrics = getattr(app.state, "metrics", None)
        if metrics is not None:
            metrics.errors.labels(code=code).inc()

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        count(exc.code)
        return JSONResponse(
            {"code": exc.code, "message": exc.message, **exc.extra},
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(RedisError)
    async def _storage_down(_: Request, exc: RedisError) -> JSONResponse:
        count("storage_unavailable")
        return JSONResponse(
            {
                "code": "storage_unavailable",
                "message": "Conversations are unavailable right now; please try again shortly.",
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        too_long = any(e["type"] == "string_too_long" for e in errors)
        count("message_too_long" if too_long else "invalid_request")
        return JSONResponse(
            {
                "code": "message_too_long" if too_long else "invalid_request",
                "message": "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
                "errors": errors,
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        return JSONResponse(
            {"code": codes.get(exc.status_code, "http_error"), "message": str(exc.detail)},
            status_code=exc.status_code,
        )
