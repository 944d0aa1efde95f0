"""Dependencies for routes, as ``Annotated`` types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.agents import Agent, HandoffQueue, find_agent
from server.errors import ApiError
from server.events import ThreadEvents
from server.limits import RateLimiter
from server.settings import Settings
from server.threads import ThreadStore
from server.tracing import LangSmithFeedback
from server.turns import TurnRunner
from store.audit import AuditLog
from store.backend import StoreBackend
from store.feedback import FeedbackLog


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _graph(request: Request) -> Any:
    return request.app.state.graph


def triage_status(app: Any) -> str:
    """``ok``, ``training`` (first start, in the background) or ``failed: <error>``."""
    task = getattr(app.state, "triage_training", None)
    if task is None or (task.done() and not task.cancelled() and task.exception() is None):
        return "ok"
    if not task.done():
        return "training"
    error = "cancelled" if task.cancelled() else type(task.exception()).__name__
    return f"failed: {error}"


def require_triage(request: Request) -> None:
    """Refuse a turn, with 503, while the triage model is not there yet."""
    status = triage_status(request.app)
    if status == "training":
        raise ApiError(
            503,
            "starting",
            "SupportGraph is still training its triage model (first start: 25 to 50 "
            "minutes); please try again shortly.",
            headers={"Retry-After": "30"},
        )
    if status != "ok":
        raise ApiError(
            503,
            "triage_unavailable",
            "Messages can't be read right now (the triage model failed to train); "
            "an operator has to restart the service.",
        )


def _backend(request: Request) -> StoreBackend | None:
    return getattr(request.app.state, "backend", None)


def _threads(request: Request) -> ThreadStore:
    return request.app.state.threads


SettingsDep = Annotated[Settings, Depends(_settings)]
GraphDep = Annotated[Any, Depends(_graph)]
ThreadsDep = Annotated[ThreadStore, Depends(_threads)]
BackendDep = Annotated[StoreBackend | None, Depends(_backend)]


_thread_bearer = HTTPBearer(
    auto_error=False, scheme_name="ThreadToken", description="The thread_token of the thread."
)


async def _thread(
    thread_id: str,
    threads: ThreadsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_thread_bearer)],
    token: Annotated[
        str | None, Query(description="The thread token, for EventSource clients only.")
    ] = None,
) -> dict[str, Any]:
    """The thread, if the request carries its token; 404 otherwise.

    Never 403: an unknown thread and someone else's look the same.
    """
    given = credentials.credentials if credentials else token
    record = await threads.get(thread_id, given) if given else None
    if record is None:
        raise ApiError(404, "thread_not_found", "No such conversation (it may have expired).")
    return record


ThreadDep = Annotated[dict[str, Any], Depends(_thread)]


def _handoffs(request: Request) -> HandoffQueue:
    return request.app.state.handoffs


def _events(request: Request) -> ThreadEvents:
    return request.app.state.events


def _audit(request: Request) -> AuditLog:
    return request.app.state.audit


def _feedback(request: Request) -> FeedbackLog:
    return request.app.state.feedback


def _langsmith(request: Request) -> LangSmithFeedback | None:
    return getattr(request.app.state, "langsmith", None)


HandoffsDep = Annotated[HandoffQueue, Depends(_handoffs)]
EventsDep = Annotated[ThreadEvents, Depends(_events)]
AuditDep = Annotated[AuditLog, Depends(_audit)]
FeedbackDep = Annotated[FeedbackLog, Depends(_feedback)]
LangSmithDep = Annotated[LangSmithFeedback | None, Depends(_langsmith)]
"""Sends scores to LangSmith; ``None`` unless tracing is on."""
_bearer = HTTPBearer(auto_error=False, description="An agent key from AGENT_KEYS.")


def _agent(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Agent:
    agent = find_agent(request.app.state.agents, credentials.credentials) if credentials else None
    if agent is None:
        raise ApiError(401, "unauthorized", "An agent key is required (Authorization: Bearer).")
    return agent


AgentDep = Annotated[Agent, Depends(_agent)]


def _runner(request: Request) -> TurnRunner:
    return request.app.state.runner


def _limiter(request: Request) -> RateLimiter:
    return request.app.state.limiter


RunnerDep = Annotated[TurnRunner, Depends(_runner)]
LimiterDep = Annotated[RateLimiter, Depends(_limiter)]


def client_address(request: Request) -> str:
    """The client's address (behind a proxy, run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else "unknown"
