"""Thread records in Redis, and one turn at a time per thread."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
import uuid
import weakref
from typing import Any, cast

from redis.asyncio import Redis

_KEY = "supportgraph:thread:{thread_id}"
_RUNS = "supportgraph:thread:{thread_id}:runs"


class ThreadStore:
    """Which threads exist (and for whom); conversation state lives in the checkpointer.

    ``redis`` must decode responses to ``str``.
    """

    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        # A lock lives only while a turn holds it: no per-thread entry is kept forever.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def create(self, customer_id: str | None = None) -> tuple[str, str]:
        """Register a new thread; return its id and its token (only a hash is kept)."""
        thread_id = uuid.uuid4().hex
        token = secrets.token_urlsafe(32)
        key = _KEY.format(thread_id=thread_id)
        record = {
            "created_at": str(time.time()),
            "customer_id": customer_id or "",
            "token_hash": _hash(token),
        }
        await self.redis.hset(key, mapping=cast(Any, record))
        await self.redis.expire(key, self.ttl_seconds)
        return thread_id, token

    async def get(self, thread_id: str, token: str) -> dict[str, Any] | None:
        """The thread's record if ``token`` is its token, refreshing its expiry; else ``None``."""
        record = await self.record(thread_id)
        if record is None or not hmac.compare_digest(record.pop("token_hash"), _hash(token)):
            return None
        return record

    async def record(self, thread_id: str) -> dict[str, Any] | None:
        """The thread's record without checking a token; refreshes its expiry.

        For the server's own use (agents act on threads without the customer's token).
        """
        key = _KEY.format(thread_id=thread_id)
        raw = cast(dict[str, str], await self.redis.hgetall(key))
        if not raw:
            return None
        await self.redis.expire(key, self.ttl_seconds)
        return {
            "thread_id": thread_id,
            "customer_id": raw.get("customer_id") or None,
            "token_hash": raw.get("token_hash", ""),
        }

    async def remember_run(self, thread_id: str, message_id: str, run_id: str) -> None:
        """Note which run (the turn's root run, as traced) produced a message."""
        key = _RUNS.format(thread_id=thread_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, message_id, run_id)
            pipe.expire(key, self.ttl_seconds)
            await pipe.execute()

    async def run_of(self, thread_id: str, message_id: str) -> str | None:
        """The run that produced a message, if known."""
        run_id = await self.redis.hget(_RUNS.format(thread_id=thread_id), message_id)
        return cast(str | None, run_id)

    def lock(self, thread_id: str) -> asyncio.Lock:
        """The lock that keeps one turn at a time running on a thread (in this process)."""
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = self._locks[thread_id] = asyncio.Lock()
        return lock


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
