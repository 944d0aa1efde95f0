"""Customers' scores sent to LangSmith, on the traced run of the answer they rate.

Turns are traced by LangChain itself when ``LANGSMITH_TRACING=true`` and
``LANGSMITH_API_KEY`` are set; every turn's root run has the id the server
gives it (see ``server.sse.turn_events``), so a score can name its run.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

from langsmith import Client
from langsmith.utils import LangSmithNotFoundError, get_tracer_project

from server.settings import Settings

log = logging.getLogger("supportgraph.tracing")
FEEDBACK_KEY = "user_score"
MAX_PENDING = 100
"""Scores waiting to be sent beyond this (LangSmith down) are dropped, with a warning."""
CREATE_ATTEMPTS = 5
"""LangSmith may not have ingested the run yet: retried for about 15 s (1, 2, 4, 8 s)."""
_FEEDBACK_IDS = uuid.UUID("6f1c1d0e-5b0a-4a39-9d7e-3c0b8f0e2a51")
"""Namespace of feedback ids: one per message, so a new score replaces the old one."""


def tracing_enabled(settings: Settings) -> bool:
    """Whether turns are traced to LangSmith (and scores sent there)."""
    return settings.langsmith_tracing and settings.langsmith_api_key is not None


def langsmith_client(settings: Settings) -> Callable[[], Client]:
    """A factory of the LangSmith client for ``settings`` (``LANGSMITH_ENDPOINT`` honoured)."""

    def create() -> Client:
        key = settings.langsmith_api_key
        return Client(
            api_url=settings.langsmith_endpoint,
            api_key=key.get_secret_value() if key else None,
        )

    return create


class LangSmithFeedback:
    """Sends scores to LangSmith in a worker thread; a failure is logged, never raised.

    ``client_factory`` makes the ``langsmith.Client`` on first use (tests point it
    at a stand-in server). Sends go one at a time, in the order they were made, so
    a slow LangSmith holds one worker thread, not all of them.
    """

    def __init__(self, client_factory: Callable[[], Client]) -> None:
        self._factory = client_factory
        self._client: Client | None = None
        self._project_id: str | None = None
        self._lock = asyncio.Lock()
        self._pending = 0

    async def send(
        self,
        *,
        thread_id: str,
        message_id: str,
        run_id: str,
        score: int,
        comment: str | None,
        replaced: bool,
    ) -> None:
        """Record ``score`` (1 or -1) on the run as ``user_score`` 1.0 or 0.0.

        ``replaced``: the message was scored before, so that feedback is updated.
        """
        if self._pending >= MAX_PENDING:
            log.warning("LangSmith is behind: the feedback on run %s is not sent", run_id)
            return
        self._pending += 1
        try:
            async with self._lock:
                await asyncio.to_thread(
                    self._send, thread_id, message_id, run_id, score, comment, replaced
                )
        except Exception as exc:  # noqa: BLE001 - LangSmith must never fail a request
            log.warning("LangSmith did not take the feedback on run %s: %r", run_id, exc)
        finally:
            self._pending -= 1

    def _send(
        self,
        thread_id: str,
        message_id: str,
        run_id: str,
        score: int,
        comment: str | None,
        replaced: bool,
    ) -> None:
        client = self._get_client()
        feedback_id = uuid.uuid5(_FEEDBACK_IDS, f"{thread_id}/{message_id}")
        value = 1.0 if score > 0 else 0.0
        if replaced:
            try:
                client.update_feedback(feedback_id, score=value, comment=comment)
                return
            except LangSmithNotFoundError:
                pass  # the first score never reached LangSmith: create it now
        client.create_feedback(
            run_id,
            key=FEEDBACK_KEY,
            score=value,
            comment=comment,
            feedback_id=feedback_id,
            session_id=self._project(client),
            stop_after_attempt=CREATE_ATTEMPTS,
        )

    def _get_client(self) -> Client:
        if self._client is None:
            self._client = self._factory()
        return self._client

    def _project(self, client: Client) -> str | None:
        """The traced project's id (LangSmith finds the run faster with it), if known."""
        if self._project_id is None:
            try:
                project = client.read_project(project_name=get_tracer_project())
                self._project_id = str(project.id)
            except Exception as exc:  # noqa: BLE001 - not there yet: send without it
                log.debug("LangSmith project not found: %r", exc)
        return self._project_id
