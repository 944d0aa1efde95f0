"""Dependencies for routes, as ``Annotated`` types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from server.errors import ApiError
from server.settings import Settings
from server.threads import ThreadStore
from store.backend import StoreBackend


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _graph(request: Request) -> Any:
    return request.app.state.graph


def _backend(request: Request) -> StoreBackend | None:
    return getattr(request.app.state, "backend", None)


def _threads(request: Request) -> ThreadStore:
    return request.app.state.threads


SettingsDep = Annotated[Settings, Depends(_settings)]
GraphDep = Annotated[Any, Depends(_graph)]
ThreadsDep = Annotated[ThreadStore, Depends(_threads)]
BackendDep = Annotated[StoreBackend | None, Depends(_backend)]


async def _thread(thread_id: str, threads: ThreadsDep) -> dict[str, Any]:
    record = await threads.get(thread_id)
    if record is None:
        raise ApiError(404, "thread_not_found", "No such conversation (it may have expired).")
    return record


ThreadDep = Annotated[dict[str, Any], Depends(_thread)]
