"""``hand_off``: pause the conversation for a human agent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

import prompts
from graph.context import Context
from graph.state import State

HUMAN_AGENT = "human_agent"


def _summary(state: State, limit: int = 6) -> list[dict[str, str]]:
    lines = []
    for message in state["messages"][-limit:]:
        if isinstance(message, HumanMessage | AIMessage) and message.content:
            role = "customer" if isinstance(message, HumanMessage) else "assistant"
            lines.append({"role": role, "content": str(message.content)})
    return lines


async def hand_off(
    state: State, runtime: Runtime[Context]
) -> Command[Literal["respond", "__end__"]]:
    """Wait for a person: ``interrupt()`` first, then apply their decision.

    The resume value is ``{"action": "respond" | "approve" | "edit" | "close" |
    "return_to_bot", "message": str, "agent": str}``.
    """
    triage = state.get("triage")
    emergency = triage["emergency"] if triage else None
    request = {
        "kind": "handoff",
        "reason": f"emergency:{emergency}" if emergency else "customer_request",
        "priority": "urgent" if emergency else "normal",
        "message": prompts.HANDOFF_NOTICE,
        "customer_id": runtime.context.customer_id if runtime.context else None,
        "summary": _summary(state),
    }
    decision = interrupt(request)

    action = decision.get("action", "respond") if isinstance(decision, dict) else "respond"
    resolved = {
        **request,
        "action": action,
        "agent": decision.get("agent") if isinstance(decision, dict) else None,
        "resolved_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if action == "return_to_bot":
        return Command(goto="respond", update={"handoff": resolved})
    text = decision.get("message", "") if isinstance(decision, dict) else str(decision)
    if action == "close" or not text:
        return Command(goto=END, update={"handoff": resolved})  # type: ignore[arg-type]
    reply = AIMessage(
        content=text, name=HUMAN_AGENT, additional_kwargs={"agent": resolved["agent"]}
    )
    return Command(goto=END, update={"messages": [reply], "handoff": resolved})  # type: ignore[arg-type]
