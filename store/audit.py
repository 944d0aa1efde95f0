"""The audit log of human agents' actions, kept in the store's database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from store import schema


class AuditLog:
    """Who did what to which handoff, and when."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        schema.agent_actions.create(engine, checkfirst=True)

    def record(
        self,
        *,
        agent: str,
        role: str,
        action: str,
        handoff_id: str,
        thread_id: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one action."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(schema.agent_actions).values(
                    agent=agent,
                    role=role,
                    action=action,
                    handoff_id=handoff_id,
                    thread_id=thread_id,
                    detail=detail or {},
                    at=datetime.now(UTC).replace(tzinfo=None),
                )
            )

    def recent(self, limit: int = 100, thread_id: str | None = None) -> list[dict[str, Any]]:
        """The latest actions, newest first."""
        a = schema.agent_actions
        query = select(a).order_by(a.c.id.desc()).limit(limit)
        if thread_id:
            query = query.where(a.c.thread_id == thread_id)
        with self.engine.connect() as conn:
            return [
                {**dict(r), "at": r["at"].isoformat(timespec="seconds") + "Z"}
                for r in conn.execute(query).mappings()
            ]
