"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.deps import triage_status

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready: the failing checks"}})
async def readyz(request: Request) -> JSONResponse:
    """Redis answers and the models are loaded; 503 with the failing checks otherwise."""
    checks: dict[str, str] = {}
    try:
        await request.app.state.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    model = getattr(request.app.state, "model", None)
    checks["model"] = "ok" if getattr(model, "loaded", True) else "loading"
    checks["triage"] = triage_status(request.app)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )
