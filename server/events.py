"""Events for a customer's open chat outside a turn: a person's reply, arriving live.

Each event is numbered per thread, kept in a short Redis list (for a client that
reconnects with ``Last-Event-ID``) and published on the thread's channel.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

KEEP_EVENTS = 5000
KEEP_SECONDS = 24 * 3600
"""How long a thread's events can be replayed."""
KEEP_SEQUENCE_SECONDS = 90 * 24 * 3600
"""Event numbers must only grow for a thread's whole life (longer than it is kept)."""


def _keys(thread_id: str) -> tuple[str, str, str]:
    base = f"supportgraph:thread:{thread_id}"
    return f"{base}:seq", f"{base}:events", f"{base}:channel"


class ThreadEvents:
    """Publish and follow a thread's events. ``redis`` must decode responses to ``str``."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def publish(self, thread_id: str, name: str, data: dict[str, Any]) -> int:
        """Record and broadcast one event; return its number."""
        seq_key, list_key, channel = _keys(thread_id)
        seq = int(await self.redis.incr(seq_key))
        payload = json.dumps({"seq": seq, "event": name, "data": data}, default=str)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(list_key, payload)
            pipe.ltrim(list_key, -KEEP_EVENTS, -1)
            pipe.expire(list_key, KEEP_SECONDS)
            pipe.expire(seq_key, KEEP_SEQUENCE_SECONDS)
            pipe.publish(channel, payload)
            await pipe.execute()
        return seq

    async def current(self, thread_id: str) -> int:
        """The number of the thread's latest event (0 before any)."""
        return int(await self.redis.get(_keys(thread_id)[0]) or 0)

    async def follow(
        self, thread_id: str, after: int | None, *, until_done: bool = False
    ) -> AsyncIterator[dict[str, str]]:
        """Events after number ``after`` (none of the past when ``None``), then live ones.

        With ``until_done`` it stops after the turn's ``done`` or ``error`` event.
        """
        _, list_key, channel = _keys(thread_id)
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(channel)  # before reading the past: nothing falls between
        try:
            last = after if after is not None else await self.current(thread_id)
            for raw in await self.redis.lrange(list_key, 0, -1):
                event = json.loads(raw)
                if event["seq"] > last:
                    last = event["seq"]
                    yield _sse(event)
                    if until_done and event["event"] in {"done", "error"}:
                        return
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                if message is None:
                    await asyncio.sleep(0)
                    continue
                event = json.loads(message["data"])
                if event["seq"] > last:
                    last = event["seq"]
                    yield _sse(event)
                    if until_done and event["event"] in {"done", "error"}:
                        return
        finally:
            await pubsub.unsubscribe(channel)
            await pubsub.aclose()


def _sse(event: dict[str, Any]) -> dict[str, str]:
    return {"event": event["event"], "id": str(event["seq"]), "data": json.dumps(event["data"])}
