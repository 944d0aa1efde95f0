"""One turn of the graph as a stream of server-sent events.

Events: ``status`` (a node started), ``token``, ``message`` (the final assistant
message with citations, triage and the turn's run id), ``interrupt``, ``error``, ``done``; every
event has an id ``<turn>-<n>``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from redis.exceptions import RedisError

from graph.context import Context
from graph.nodes.hand_off import HUMAN_AGENT

log = logging.getLogger("supportgraph.sse")

STATUS_LABELS = {
    "triage": "Reading your message…",
    "retrieve": "Searching the help centre…",
    "call_orders_agent": "Checking your order…",
    "orders_tools": "Checking your order…",
    "call_crm_agent": "Looking up your account…",
    "crm_tools": "Looking up your account…",
    "call_appointments_agent": "Checking available appointments…",
    "appointments_tools": "Checking available appointments…",
    "call_recommendations_agent": "Finding products for you…",
    "recommendations_tools": "Finding products for you…",
    "alert_safety": "Getting safety instructions…",
    "hand_off": "Connecting you with a person…",
    "respond": "Writing a reply…",
}
TOKEN_NODES = {"respond", *(n for n in STATUS_LABELS if n.startswith("call_"))}


def message_view(message: BaseMessage) -> dict[str, Any] | None:
    """A chat message as the API shows it, or ``None`` for internal messages."""
    if isinstance(message, HumanMessage):
        return {
            "id": message.id,
            "role": "user",
            "content": message.text,
            "citations": [],
            "receipts": [],
        }
    if isinstance(message, AIMessage) and not message.tool_calls and message.text:
        return {
            "id": message.id,
            "role": "agent" if message.name == HUMAN_AGENT else "assistant",
            "content": message.text,
            "citations": message.additional_kwargs.get("citations", []),
            "receipts": message.additional_kwargs.get("receipts", []),
        }
    return None


def error_code(exc: BaseException) -> str:
    """A stable error code for a failure during a turn."""
    if isinstance(exc, RedisError):
        return "storage_unavailable"
    module = type(exc).__module__
    if module.startswith(("openai", "httpx", "llama_cpp")):
        return "model_unavailable"
    return "internal_error"


async def turn_events(
    graph: Any,
    *,
    thread_id: str,
    payload: Any,
    context: Context,
    expect_interrupt: str | None = None,
    on_handoff: Callable[[str, str, dict[str, Any]], Awaitable[None]] | None = None,
    on_message: Callable[[str, str], Awaitable[None]] | None = None,
) -> AsyncIterator[dict[str, str]]:
    """Run one turn and yield its events as sse-starlette dicts.

    ``payload`` is the new message, or a ``Command`` resuming an interrupt; with
    ``expect_interrupt`` the turn only runs if that interrupt is still pending
    (another request may have answered it meanwhile). ``on_handoff(interrupt_id,
    thread_id, request)`` is awaited when the turn ends waiting for a person.

    The turn's root run gets a fresh id (its LangSmith run when tracing is on),
    sent as ``run_id`` in the ``message`` event; ``on_message(message_id, run_id)``
    is awaited for every reply of the turn before that event.
    """
    turn = uuid.uuid4().hex[:12]
    run_id = uuid.uuid4()
    seq = 0

    def event(name: str, data: dict[str, Any]) -> dict[str, str]:
        nonlocal seq
        seq += 1
        return {"event": name, "id": f"{turn}-{seq}", "data": json.dumps(data)}

    config = {"configurable": {"thread_id": thread_id}}
    triage = None
    try:
        before = await graph.aget_state(config)
        if expect_interrupt is not None and expect_interrupt not in {
            p.id for p in before.interrupts
        }:
            yield event(
                "error",
                {"code": "nothing_to_confirm", "message": "That action was already answered."},
            )
            return
        seen = len(before.values.get("messages", []))
        async for mode, chunk in graph.astream(
            payload,
            {**config, "run_id": run_id},
            context=context,
            stream_mode=["tasks", "messages"],
        ):
            if mode == "tasks":
                if chunk["name"] == "triage" and isinstance(chunk.get("result"), dict):
                    triage = chunk["result"].get("triage")
                if "input" in chunk and chunk["name"] in STATUS_LABELS:
                    name = chunk["name"]
                    status = {"node": name, "label": STATUS_LABELS[name], "triage": triage}
                    yield event("status", status)
            else:
                piece, meta = chunk
                if (
                    isinstance(piece, AIMessageChunk)
                    and meta.get("langgraph_node") in TOKEN_NODES
                    and not piece.tool_call_chunks
                    and piece.text
                ):
                    yield event("token", {"text": piece.text})

        state = await graph.aget_state(config)
        messages = state.values.get("messages", [])
        replies = [v for m in messages[seen:] if (v := message_view(m)) and v["role"] != "user"]
        if on_message is not None:
            for reply in replies:
                if reply["id"]:
                    await _note_run(on_message, reply["id"], str(run_id))
        if replies:
            yield event(
                "message",
                {**replies[-1], "triage": state.values.get("triage"), "run_id": str(run_id)},
            )
        for pending in state.interrupts:
            if on_handoff is not None and pending.value.get("kind") == "handoff":
                await on_handoff(pending.id, thread_id, pending.value)
            yield event("interrupt", {"id": pending.id, **pending.value})
        yield event("done", {})
    except asyncio.CancelledError:
        log.info("turn %s on thread %s cancelled by the client", turn, thread_id)
        raise
    except Exception as exc:
        log.exception("turn %s on thread %s failed", turn, thread_id)
        yield event(
            "error",
            {"code": error_code(exc), "message": "Sorry, something went wrong on our side."},
        )


async def _note_run(
    on_message: Callable[[str, str], Awaitable[None]], message_id: str, run_id: str
) -> None:
    """Call ``on_message``; a failure loses only the message's link to its run."""
    try:
        await on_message(message_id, run_id)
    except Exception:
        log.warning("could not note run %s of message %s", run_id, message_id, exc_info=True)
