"""Turns that run on the server whatever happens to the client's connection.

A turn runs as a background task and writes every event to the thread's event
log (``ThreadEvents``); the request that started it only follows that log. A
client that drops reconnects to ``GET /v1/threads/{id}/events`` with
``Last-Event-ID`` and gets the rest of the turn exactly once; a repeated
``client_message_id`` follows the turn it already started instead of running
another.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from typing import Any

from redis.asyncio import Redis

from graph.context import Context
from server.agents import HandoffQueue
from server.errors import ApiError
from server.events import ThreadEvents
from server.metrics import Metrics
from server.sse import turn_events
from server.threads import ThreadStore

log = logging.getLogger("supportgraph.turns")
CLIENT_MESSAGE_TTL = 24 * 3600
CLAIM_WAIT_SECONDS = 2.0
"""How long a repeated message waits for the claim of its twin that holds the lock."""


class TurnRunner:
    """Starts turns in the background and remembers which message started which."""

    def __init__(
        self,
        graph: Any,
        redis: Redis,
        threads: ThreadStore,
        events: ThreadEvents,
        handoffs: HandoffQueue,
        metrics: Metrics,
    ) -> None:
        self.graph, self.redis, self.threads = graph, redis, threads
        self.events, self.handoffs, self.metrics = events, handoffs, metrics
        self._tasks: set[asyncio.Task[None]] = set()

    async def known(self, thread_id: str, client_message_id: str) -> int | None:
        """Where the turn this message already started begins, or ``None``."""
        known = await self.redis.get(_claim(thread_id, client_message_id))
        return int(known) if known is not None else None

    async def start(
        self,
        thread_id: str,
        payload: Any,
        context: Context,
        *,
        kind: str,
        expect_interrupt: str | None = None,
        client_message_id: str | None = None,
    ) -> int:
        """Start a turn, or find the one this message already started.

        Returns the event number to follow from.
        """
        claim = None
        if client_message_id:
            claim = _claim(thread_id, client_message_id)
            known = await self.known(thread_id, client_message_id)
            if known is not None:
                return known
        lock = self.threads.lock(thread_id)
        if lock.locked() and claim is not None:
            # The same message may have raced in a moment earlier and not yet recorded
            # its claim (that takes a Redis round trip after the lock): wait for it.
            deadline = time.monotonic() + CLAIM_WAIT_SECONDS
            while lock.locked() and time.monotonic() < deadline:
                if (raced := await self.redis.get(claim)) is not None:
                    return int(raced)
                await asyncio.sleep(0.02)
        if lock.locked():
            raise ApiError(409, "turn_in_progress", "The previous message is still being answered.")
        await lock.acquire()
        try:
            after = await self.events.current(thread_id)
            if claim is not None and not await self.redis.set(
                claim, after, nx=True, ex=CLIENT_MESSAGE_TTL
            ):
                lock.release()  # the same message raced in twice: follow the first
                return int(await self.redis.get(claim) or after)
        except BaseException:
            lock.release()
            raise
        task = asyncio.create_task(
            self._run(lock, thread_id, payload, context, kind, expect_interrupt)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return after

    async def _run(
        self,
        lock: asyncio.Lock,
        thread_id: str,
        payload: Any,
        context: Context,
        kind: str,
        expect_interrupt: str | None,
    ) -> None:
        started = time.perf_counter()
        first_token = None
        try:
            async for event in turn_events(
                self.graph,
                thread_id=thread_id,
                payload=payload,
                context=context,
                expect_interrupt=expect_interrupt,
                on_handoff=self._handoff,
                on_message=functools.partial(self.threads.remember_run, thread_id),
            ):
                name, data = event["event"], json.loads(event["data"])
                if name == "token" and first_token is None:
                    first_token = time.perf_counter() - started
                if name == "error":
                    self.metrics.errors.labels(code=data.get("code", "internal_error")).inc()
                await self.events.publish(thread_id, name, data)
        except Exception:
            log.exception("turn on thread %s could not be recorded", thread_id)
            self.metrics.errors.labels(code="storage_unavailable").inc()
        finally:
            lock.release()
            self.metrics.turns.labels(kind=kind).inc()
            self.metrics.turn_seconds.observe(time.perf_counter() - started)
            if first_token is not None:
                self.metrics.first_token_seconds.observe(first_token)

    async def _handoff(self, handoff_id: str, thread_id: str, request: dict[str, Any]) -> None:
        await self.handoffs.register(handoff_id, thread_id, request)
        self.metrics.handoffs.labels(reason=str(request.get("reason"))).inc()

    async def close(self) -> None:
        """Let running turns finish (for a clean shutdown), up to a few seconds."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)


def _claim(thread_id: str, client_message_id: str) -> str:
    return f"supportgraph:thread:{thread_id}:client:{client_message_id}"
