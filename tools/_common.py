"""Helpers shared by the tool modules: session identity, confirmation, results."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from langchain.tools import ToolRuntime
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.types import Command, interrupt

from graph.context import Context

T = TypeVar("T")


def customer_of(runtime: ToolRuntime[Context, Any]) -> str | None:
    """The verified customer of this run, from the session (never from the model)."""
    context = runtime.context
    return context.customer_id if context is not None else None


def verified_orders(runtime: ToolRuntime[Context, Any]) -> set[str]:
    """Orders an anonymous customer proved in this conversation (number + email)."""
    state = runtime.state or {}
    return set(state.get("verified_orders") or [])


def action_key(runtime: ToolRuntime[Context, Any]) -> str:
    """The idempotency key of this tool call: its thread and call id.

    A resumed tool runs again from its start; the key makes the store apply the
    action once however often that happens.
    """
    configurable = (runtime.config or {}).get("configurable", {})
    return f"{configurable.get('thread_id', '')}:{runtime.tool_call_id or ''}"


def said(runtime: ToolRuntime[Context, Any], *, tools: bool = False) -> str:
    """Everything the customer wrote in the conversation (and, with ``tools``, tool results)."""
    kinds = (HumanMessage, ToolMessage) if tools else (HumanMessage,)
    messages = (runtime.state or {}).get("messages", [])
    return "\n".join(m.text for m in messages if isinstance(m, kinds))


def mentioned(runtime: ToolRuntime[Context, Any], identifier: str, *, tools: bool = True) -> bool:
    """Whether ``identifier`` (an order, booking or ticket number) came up in the conversation.

    In what the customer wrote, or (with ``tools``) in what a tool showed. A weak model
    copies the examples of a docstring ("like B-3002") into its arguments; an id nobody
    mentioned is one it made up.
    """
    return identifier.strip().upper() in said(runtime, tools=tools).upper()


def refuse(reason: str) -> str:
    """A refusal the model can relay as it is."""
    return json.dumps({"ok": False, "refusal": reason})


def result(**data: Any) -> str:
    """A successful tool result as JSON."""
    return json.dumps({"ok": True, **data}, default=str)


def with_verified(runtime: ToolRuntime[Context, Any], content: str, order_id: str) -> Command:
    """Return ``content`` as the tool's result and remember that ``order_id`` was verified."""
    return Command(
        update={
            "verified_orders": [order_id],
            "messages": [ToolMessage(content=content, tool_call_id=runtime.tool_call_id or "")],
        }
    )


def confirm(action: str, summary: str, **details: Any) -> bool:
    """Pause for the customer's yes or no before an action that changes data.

    The interrupt's payload says exactly what will happen; the resume value is
    ``{"approved": bool}``. On resume the calling tool runs again from its
    start, so everything before this call must be a read.
    """
    decision = interrupt({"kind": "confirm", "action": action, "summary": summary, **details})
    return isinstance(decision, dict) and decision.get("approved") is True


def declined(what: str) -> str:
    """The result of an action the customer said no to."""
    return json.dumps(
        {
            "ok": False,
            "declined": True,
            "summary": f"The customer chose not to {what}. Nothing was changed.",
        }
    )


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking backend call in a worker thread."""
    return await asyncio.to_thread(fn, *args, **kwargs)
