"""``hand_off``: pause the conversation for a human agent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

import prompts
from graph.context import Context
from graph.resources import Lazy
from graph.state import State
from store.backend import StoreBackend

HUMAN_AGENT = "human_agent"
ACTIONS = ("approve", "edit", "respond", "return_to_bot", "close")


def _summary(state: State, limit: int = 8) -> list[dict[str, str]]:
    lines = []
    for message in state["messages"][-limit:]:
        if (
            isinstance(message, HumanMessage | AIMessage)
            and message.text
            and not (isinstance(message, AIMessage) and message.tool_calls)
        ):
            role = "customer" if isinstance(message, HumanMessage) else "assistant"
            if message.name == HUMAN_AGENT:
                role = "agent"
            lines.append({"role": role, "content": message.text})
    return lines


async def _customer(
    backend: Lazy[StoreBackend], state: State, customer_id: str | None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The customer's profile and recent orders.

    The signed-in customer, or the owner of an order the anonymous customer verified.
    """
    store = await backend.aget()
    if customer_id is None and state.get("verified_orders"):
        order = await asyncio.to_thread(store.get_order, state["verified_orders"][0])
        customer_id = order["customer_id"] if order else None
    if customer_id is None:
        return None, []
    profile = await asyncio.to_thread(store.get_customer, customer_id)
    orders = await asyncio.to_thread(store.list_orders, customer_id, 5)
    return profile, orders


def make_hand_off(backend: Lazy[StoreBackend]) -> Any:
    """Return the hand_off node, reading the customer's profile from ``backend``."""

    async def hand_off(
        state: State, runtime: Runtime[Context]
    ) -> Command[Literal["respond", "__end__"]]:
        """Wait for a person: ``interrupt()`` with what they need, then apply their decision.

        Only reads happen before the interrupt. The resume value is ``{"action":
        "approve" | "edit" | "respond" | "return_to_bot" | "close", "message": str,
        "agent": str}``; ``approve`` sends the drafted reply as it is.
        """
        triage = state.get("triage")
        emergency = triage["emergency"] if triage else None
        escalation: dict[str, Any] = dict(state.get("escalation") or {})
        if emergency:
            reason, priority = f"emergency:{emergency}", "urgent"
        else:
            reason = escalation.get("reason", "customer_request")
            priority = escalation.get("priority", "normal")
        customer_id = runtime.context.customer_id if runtime.context else None
        profile, orders = await _customer(backend, state, customer_id)
        request = {
            "kind": "handoff",
            "reason": reason,
            "priority": priority,
            "message": prompts.HANDOFF_NOTICE,
            "customer_id": (profile or {}).get("id"),
            "customer": profile,
            "recent_orders": orders,
            "summary": _summary(state),
            "suggested_reply": state.get("draft"),
        }
        decision = interrupt(request)

        decision = decision if isinstance(decision, dict) else {"message": str(decision)}
        action = decision.get("action", "respond")
        resolved = {
            **{k: request[k] for k in ("reason", "priority", "customer_id")},
            "action": action,
            "agent": decision.get("agent"),
            "resolved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        cleared = {"handoff": resolved, "escalation": None, "draft": None}
        if action == "return_to_bot":
            return Command(goto="respond", update=cleared)
        text = str(
            (request["suggested_reply"] if action == "approve" else decision.get("message")) or ""
        )
        if action == "close" or not text:
            return Command(goto=END, update=cleared)  # type: ignore[arg-type]
        reply = AIMessage(
            content=text, name=HUMAN_AGENT, additional_kwargs={"agent": resolved["agent"]}
        )
        return Command(goto=END, update={**cleared, "messages": [reply]})  # type: ignore[arg-type]

    return hand_off
