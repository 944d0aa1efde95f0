"""Human agents: who they are (``AGENT_KEYS``) and the handoff queue they work from."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal, cast

from redis.asyncio import Redis

from server.settings import Settings

Role = Literal["agent", "admin"]
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2}
_KEY = "supportgraph:handoff:{id}"
_QUEUE = "supportgraph:handoffs"
KEEP_RESOLVED_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Agent:
    """A person who answers handed-off conversations."""

    name: str
    role: Role


def load_agents(settings: Settings) -> dict[str, Agent]:
    """Agents by key, from ``AGENT_KEYS`` (``key:name:role,…``) and ``DATA_DIR/agent_keys``."""
    entries: list[str] = []
    if settings.agent_keys:
        entries += settings.agent_keys.get_secret_value().split(",")
    path = settings.data_dir / "agent_keys"
    if path.exists():
        entries += path.read_text().split()
    agents: dict[str, Agent] = {}
    for entry in entries:
        key, _, rest = entry.strip().partition(":")
        name, _, role = rest.partition(":")
        if key and name:
            agents[key] = Agent(name=name, role="admin" if role == "admin" else "agent")
    return agents


def find_agent(agents: dict[str, Agent], key: str) -> Agent | None:
    """The agent with this key (compared in constant time), or ``None``."""
    found = None
    for candidate, agent in agents.items():
        if hmac.compare_digest(candidate.encode(), key.encode()):
            found = agent
    return found


def new_agent_key(settings: Settings, name: str, role: Role = "agent") -> str:
    """Make a key for ``name`` and keep it in ``DATA_DIR/agent_keys``."""
    if ":" in name or not name.strip() or any(c.isspace() for c in name):
        raise ValueError("an agent name is one word without ':'")
    key = secrets.token_urlsafe(24)
    path = settings.data_dir / "agent_keys"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
    with path.open("a") as out:
        out.write(f"{key}:{name}:{role}\n")
    return key


class AlreadyClaimed(Exception):
    """Someone else holds the handoff."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


class HandoffQueue:
    """Pending handoffs in Redis, ordered by priority then waiting time.

    The conversation itself (and the interrupt) lives in the checkpointer; this
    holds who works on what. ``redis`` must decode responses to ``str``.
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def register(self, handoff_id: str, thread_id: str, request: dict[str, Any]) -> None:
        """Queue a handoff the graph is waiting on (a no-op if it is already known)."""
        key = _KEY.format(id=handoff_id)
        now = time.time()
        if not await self.redis.hsetnx(key, "created_at", str(now)):
            return
        record = {
            "id": handoff_id,
            "thread_id": thread_id,
            "reason": str(request.get("reason", "customer_request")),
            "priority": str(request.get("priority", "normal")),
            "status": "pending",
        }
        await self.redis.hset(key, mapping=cast(Any, record))
        rank = PRIORITY_RANK.get(record["priority"], 2)
        await self.redis.zadd(_QUEUE, {handoff_id: rank * 1e11 + now})

    async def get(self, handoff_id: str) -> dict[str, Any] | None:
        """One handoff's record, or ``None``."""
        raw = await self.redis.hgetall(_KEY.format(id=handoff_id))
        return _record(cast(dict[str, str], raw)) if raw else None

    async def pending(self) -> list[dict[str, Any]]:
        """Unresolved handoffs: urgent first, then high, then normal; oldest first within."""
        ids = await self.redis.zrange(_QUEUE, 0, -1)
        records = []
        for handoff_id in ids:
            record = await self.get(str(handoff_id))
            if record is not None:
                records.append(record)
        return records

    async def claim(self, handoff_id: str, agent: str) -> dict[str, Any]:
        """Take the handoff; ``AlreadyClaimed`` if someone else has (exactly one wins)."""
        key = _KEY.format(id=handoff_id)
        won = await self.redis.hsetnx(key, "claimed_by", agent)
        if not won:
            holder = await self.redis.hget(key, "claimed_by")
            if holder != agent:
                raise AlreadyClaimed(str(holder))
        else:
            await self.redis.hset(
                key, mapping={"status": "claimed", "claimed_at": str(time.time())}
            )
        record = await self.get(handoff_id)
        assert record is not None
        return record

    async def resolve(self, handoff_id: str, action: str) -> None:
        """Take a handoff off the queue; its record is kept for a week."""
        key = _KEY.format(id=handoff_id)
        await self.redis.hset(
            key, mapping={"status": "resolved", "action": action, "resolved_at": str(time.time())}
        )
        await self.redis.expire(key, KEEP_RESOLVED_SECONDS)
        await self.redis.zrem(_QUEUE, handoff_id)


def _record(raw: dict[str, str]) -> dict[str, Any]:
    created = float(raw.get("created_at", "0"))
    return {
        "id": raw.get("id"),
        "thread_id": raw.get("thread_id"),
        "reason": raw.get("reason"),
        "priority": raw.get("priority", "normal"),
        "status": raw.get("status", "pending"),
        "claimed_by": raw.get("claimed_by"),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created)),
        "waiting_seconds": int(time.time() - created),
        "action": raw.get("action"),
    }


def dumps(data: Any) -> str:
    """JSON for Redis payloads."""
    return json.dumps(data, default=str)
