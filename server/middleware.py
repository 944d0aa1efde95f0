"""Request ids in logs, body-size limit and CORS."""

from __future__ import annotations

import contextvars
import json
import logging
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from server.settings import Settings

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
thread_id: contextvars.ContextVar[str] = contextvars.ContextVar("thread_id", default="-")


class ContextFilter(logging.Filter):
    """Adds the request and thread ids to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the ids; never drops a record."""
        record.request_id = request_id.get()
        record.thread_id = thread_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request and thread ids."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "thread_id": getattr(record, "thread_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(fmt: str) -> None:
    """Log to stderr as text or JSON, always with request and thread ids."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s thread=%(thread_id)s]: "
                "%(message)s"
            )
        )
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Request ids, the body-size limit and CORS."""

    @app.middleware("http")
    async def limits_and_ids(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        request_id.set(rid)
        parts = request.url.path.split("/")
        thread_id.set(parts[3] if len(parts) > 3 and parts[2] == "threads" else "-")
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            return JSONResponse(
                {
                    "code": "payload_too_large",
                    "message": f"The request body is over {settings.max_body_bytes} bytes.",
                },
                status_code=413,
                headers={"X-Request-ID": rid},
            )
        response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        return response

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
