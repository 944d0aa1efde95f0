"""Customers' scores of the answers they got, kept in the store's database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from store import schema


class FeedbackLog:
    """One score per message: 1 (helpful) or -1 (not helpful), with an optional comment."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        schema.feedback.create(engine, checkfirst=True)

    def record(
        self,
        *,
        thread_id: str,
        message_id: str,
        score: int,
        comment: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """Store the score of a message, replacing an earlier one for the same message.

        Returns ``{"id", "score", "replaced"}``; ``replaced`` is true when the
        message had been scored before.
        """
        if score not in (1, -1):
            raise ValueError("score must be 1 or -1")
        f = schema.feedback
        values = {
            "score": score,
            "comment": comment,
            "run_id": run_id,
            "created_at": datetime.now(UTC).replace(tzinfo=None),
        }
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    known = conn.execute(
                        select(f.c.id).where(
                            f.c.thread_id == thread_id, f.c.message_id == message_id
                        )
                    ).scalar()
                    if known is not None:
                        conn.execute(update(f).where(f.c.id == known).values(**values))
                        return {"id": known, "score": score, "replaced": True}
                    new = conn.execute(
                        insert(f).values(thread_id=thread_id, message_id=message_id, **values)
                    ).inserted_primary_key
                    return {"id": new[0] if new else None, "score": score, "replaced": False}
            except IntegrityError:  # the same message was scored concurrently: update that row
                continue
        raise RuntimeError(f"feedback on {thread_id}/{message_id} could not be recorded")

    def for_thread(self, thread_id: str) -> list[dict[str, Any]]:
        """The thread's scores, oldest first."""
        f = schema.feedback
        query = select(f).where(f.c.thread_id == thread_id).order_by(f.c.id)
        with self.engine.connect() as conn:
            return [
                {**dict(r), "created_at": r["created_at"].isoformat(timespec="seconds") + "Z"}
                for r in conn.execute(query).mappings()
            ]
