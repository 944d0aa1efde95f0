"""Rate limits in Redis: fixed one-minute windows per thread and per client address."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from server.errors import ApiError

WINDOW_SECONDS = 60


class RateLimiter:
    """Counts requests per window; over the limit is a 429 with ``Retry-After``."""

    def __init__(self, redis: Redis, per_thread: int, per_client: int) -> None:
        self.redis, self.per_thread, self.per_client = redis, per_thread, per_client

    async def check_turn(self, thread_id: str, client: str) -> None:
        """One more turn on ``thread_id`` from ``client``."""
        await self._hit(f"thread:{thread_id}", self.per_thread)
        await self._hit(f"client:{client}", self.per_client)

    async def check_client(self, client: str) -> None:
        """One more request from ``client`` (creating threads)."""
        await self._hit(f"client:{client}", self.per_client)

    async def _hit(self, subject: str, limit: int) -> None:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"supportgraph:rate:{subject}:{window}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            count, _ = await pipe.execute()
        if int(count) > limit:
            retry = int((window + 1) * WINDOW_SECONDS - now) + 1
            raise ApiError(
                429,
                "rate_limited",
                f"Too many messages; try again in {retry} s.",
                headers={"Retry-After": str(retry)},
                extra={"retry_after": retry},
            )
