"""Helpers shared by the tool modules."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from langchain.tools import ToolRuntime

from graph.context import Context

T = TypeVar("T")


def customer_of(runtime: ToolRuntime[Context, Any]) -> str | None:
    """The verified customer of this run, from the session (never from the model)."""
    context = runtime.context
    return context.customer_id if context is not None else None


def refuse(reason: str) -> str:
    """A refusal the model can relay as it is."""
    return json.dumps({"ok": False, "refusal": reason})


def result(**data: Any) -> str:
    """A successful tool result as JSON."""
    return json.dumps({"ok": True, **data}, default=str)


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking backend call in a worker thread."""
    return await asyncio.to_thread(fn, *args)
