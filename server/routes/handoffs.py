"""The agent API: the handoff queue, claiming, and resolving a conversation."""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter
from langgraph.types import Command
from pydantic import BaseModel, Field

from graph.context import Context
from server.agents import AlreadyClaimed
from server.deps import (
    AgentDep,
    AuditDep,
    EventsDep,
    GraphDep,
    HandoffsDep,
    SettingsDep,
    ThreadsDep,
)
from server.errors import ERROR_RESPONSES, ApiError
from server.sse import message_view, turn_events

router = APIRouter(prefix="/v1", tags=["agents"], responses=ERROR_RESPONSES)
TEMPLATES = Path(__file__).resolve().parents[2] / "data" / "agent_templates.json"
Action = Literal["approve", "edit", "respond", "return_to_bot", "close"]


class Me(BaseModel):
    """The signed-in agent."""

    name: str
    role: Literal["agent", "admin"]


class Resolution(BaseModel):
    """What the agent does with the conversation."""

    action: Action
    message: str | None = Field(None, max_length=4000, description="For edit and respond.")


@router.get("/agents/me", response_model=Me)
async def me(agent: AgentDep) -> Me:
    """Who the key belongs to."""
    return Me(name=agent.name, role=agent.role)


@router.get("/handoffs/templates")
async def templates(agent: AgentDep) -> dict[str, Any]:
    """Quick replies for the inbox, with the agent's name filled in."""
    items = json.loads(TEMPLATES.read_text())
    return {"templates": [{**t, "text": t["text"].replace("{agent}", agent.name)} for t in items]}


@router.get("/handoffs")
async def list_handoffs(agent: AgentDep, handoffs: HandoffsDep, graph: GraphDep) -> dict[str, Any]:
    """Waiting conversations: urgent first, then high, then normal; oldest first within."""
    records = await handoffs.pending()
    return {"handoffs": [await _details(graph, r) for r in records]}


@router.get("/handoffs/{handoff_id}")
async def get_handoff(
    handoff_id: str, agent: AgentDep, handoffs: HandoffsDep, graph: GraphDep
) -> dict[str, Any]:
    """One handoff with the whole conversation."""
    record = await _record(handoffs, handoff_id)
    details = await _details(graph, record)
    state = await graph.aget_state({"configurable": {"thread_id": record["thread_id"]}})
    details["messages"] = [
        {"role": v["role"], "content": v["content"]}
        for m in state.values.get("messages", [])
        if (v := message_view(m))
    ]
    return details


@router.post("/handoffs/{handoff_id}/claim")
async def claim(
    handoff_id: str, agent: AgentDep, handoffs: HandoffsDep, graph: GraphDep, audit: AuditDep
) -> dict[str, Any]:
    """Take the conversation; only one agent can hold it."""
    record = await _record(handoffs, handoff_id)
    if record["status"] == "resolved":
        raise ApiError(409, "already_resolved", "This conversation was already handled.")
    try:
        record = await handoffs.claim(handoff_id, agent.name)
    except AlreadyClaimed as taken:
        raise ApiError(409, "already_claimed", f"{taken.holder} already took this one.") from None
    await asyncio.to_thread(
        audit.record,
        agent=agent.name,
        role=agent.role,
        action="claim",
        handoff_id=handoff_id,
        thread_id=record["thread_id"],
    )
    return await _details(graph, record)


@router.post("/handoffs/{handoff_id}/resolve")
async def resolve(
    handoff_id: str,
    body: Resolution,
    agent: AgentDep,
    handoffs: HandoffsDep,
    graph: GraphDep,
    threads: ThreadsDep,
    events: EventsDep,
    audit: AuditDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Answer the customer (approve, edit, respond), hand back to the bot, or close.

    The graph resumes from its interrupt; what it says reaches the customer's
    open chat through ``GET /v1/threads/{id}/events``.
    """
    record = await _record(handoffs, handoff_id)
    if record["status"] == "resolved":
        raise ApiError(409, "already_resolved", "This conversation was already handled.")
    if record["claimed_by"] != agent.name and agent.role != "admin":
        raise ApiError(409, "not_claimed", "Claim the conversation before answering it.")
    message = (body.message or "").strip()
    if body.action in {"edit", "respond"} and not message:
        raise ApiError(422, "message_required", "Write the message to send.")
    thread_id = record["thread_id"]
    config = {"configurable": {"thread_id": thread_id}}
    state = await graph.aget_state(config)
    pending = next((p for p in state.interrupts if p.id == handoff_id), None)
    if pending is None:
        await handoffs.resolve(handoff_id, "gone")
        raise ApiError(409, "already_resolved", "This conversation is no longer waiting.")
    if body.action == "approve" and not pending.value.get("suggested_reply"):
        raise ApiError(422, "nothing_to_approve", "There is no suggested reply to approve.")
    lock = threads.lock(thread_id)
    if lock.locked():
        raise ApiError(409, "turn_in_progress", "The conversation is busy; try again.")
    thread = await threads.record(thread_id)
    context = Context(
        customer_id=thread["customer_id"] if thread else None,
        handoff_refund_above=settings.handoff_refund_above_usd,
    )
    decision = {"action": body.action, "message": message, "agent": agent.name}
    payload: Command[Any] = Command(resume={handoff_id: decision})
    failed = None
    async with lock:
        async for event in turn_events(
            graph,
            thread_id=thread_id,
            payload=payload,
            context=context,
            expect_interrupt=handoff_id,
            on_message=functools.partial(threads.remember_run, thread_id),
        ):
            data = json.loads(event["data"])
            if event["event"] == "message":
                await events.publish(thread_id, "message", {**data, "agent": agent.name})
            elif event["event"] == "error":
                failed = data
    if failed:
        raise ApiError(503, failed.get("code", "internal_error"), failed["message"])
    after = await graph.aget_state(config)
    still = [p for p in after.interrupts if (p.value or {}).get("kind") == "handoff"]
    await events.publish(thread_id, "status", {"status": "waiting_for_agent" if still else "idle"})
    await handoffs.resolve(handoff_id, body.action)
    await asyncio.to_thread(
        audit.record,
        agent=agent.name,
        role=agent.role,
        action=body.action,
        handoff_id=handoff_id,
        thread_id=thread_id,
        detail={"message": message} if message else {},
    )
    return {"id": handoff_id, "status": "resolved", "action": body.action}


@router.get("/audit")
async def audit_log(agent: AgentDep, audit: AuditDep, thread_id: str | None = None) -> Any:
    """Every agent action, newest first (admins only)."""
    if agent.role != "admin":
        raise ApiError(403, "admin_only", "Only admins can read the audit log.")
    return {"actions": await asyncio.to_thread(audit.recent, 200, thread_id)}


async def _record(handoffs: Any, handoff_id: str) -> dict[str, Any]:
    record = await handoffs.get(handoff_id)
    if record is None:
        raise ApiError(404, "handoff_not_found", "No such handoff.")
    return dict(record)


async def _details(graph: Any, record: dict[str, Any]) -> dict[str, Any]:
    """The queue record with what the graph's interrupt told the agent."""
    state = await graph.aget_state({"configurable": {"thread_id": record["thread_id"]}})
    request = next((p.value for p in state.interrupts if p.id == record["id"]), None) or {}
    return {
        **record,
        "summary": request.get("summary", []),
        "customer": request.get("customer"),
        "recent_orders": request.get("recent_orders", []),
        "suggested_reply": request.get("suggested_reply"),
    }
