"""Thread records in Redis, and one turn at a time per thread."""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from typing import Any, cast

from redis.asyncio import Redis

_KEY = "supportgraph:thread:{thread_id}"


class ThreadStore:
    """Which threads exist (and for whom); conversation state lives in the checkpointer.

    ``redis`` must decode responses to ``str``.
    """

    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        # A lock lives only while a turn holds it: no per-thread entry is kept forever.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def create(self, customer_id: str | None = None) -> str:
        """Register a new thread and return its id."""
        thread_id = uuid.uuid4().hex
        key = _KEY.format(thread_id=thread_id)
        record = {"created_at": str(time.time()), "customer_id": customer_id or ""}
        await self.redis.hset(key, mapping=cast(Any, record))
        await self.redis.expire(key, self.ttl_seconds)
        return thread_id

    async def get(self, thread_id: str) -> dict[str, Any] | None:
        """The thread's record, refreshing its expiry; ``None`` if unknown or expired."""
        key = _KEY.format(thread_id=thread_id)
        raw = cast(dict[str, str], await self.redis.hgetall(key))
        if not raw:
            return None
        await self.redis.expire(key, self.ttl_seconds)
        return {"thread_id": thread_id, "customer_id": raw.get("customer_id") or None}

    def lock(self, thread_id: str) -> asyncio.Lock:
        """The lock that keeps one turn at a time running on a thread (in this process)."""
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = self._locks[thread_id] = asyncio.Lock()
        return lock
