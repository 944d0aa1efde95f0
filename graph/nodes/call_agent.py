"""``call_<domain>_agent``: a specialist that gathers facts with its own tools.

With a capable model it chooses tools freely and may chain them. With a weak
model (``forced=True``) the code picks the tool from the intent and forces it;
the model only fills the arguments.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, SystemMessage
from langchain_core.tools import BaseTool
from langgraph.runtime import Runtime

from graph.context import Context
from graph.nodes._messages import conversation, current_turn, latest_customer_text
from graph.resources import Lazy
from graph.state import State

MAX_TOOL_ROUNDS = 4
ORDER_NUMBER = re.compile(r"\bBS-?\d{6}\b", re.IGNORECASE)


def pick_tool(domain: str, intent: str, text: str, customer_id: str | None) -> str | None:
    """Choose the first tool for a weak model, or ``None`` to ask the customer first."""
    if domain == "orders":
        if ORDER_NUMBER.search(text):
            return "get_order_status"
        return "list_recent_orders" if customer_id else None
    if domain == "crm":
        if customer_id is None:
            return None
        return "get_customer_profile" if intent == "account_details" else "get_ticket_status"
    if domain == "appointments":
        return "find_appointment_slots"
    return "recommend_products"


def make_call_agent(
    domain: str, model: Lazy[BaseChatModel], tools: list[BaseTool], prompt: str, forced: Any
) -> Any:
    """Return the agent node of ``domain``; ``forced(chat)`` says whether to force tools."""

    async def call_agent(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        context = runtime.context or Context()
        chat = await model.aget()
        turn = current_turn(state["messages"])
        rounds = sum(1 for m in turn if isinstance(m, AIMessage) and m.tool_calls)
        messages = [
            SystemMessage(content=prompt),
            *conversation(state["messages"][: -len(turn)], context.history_turns),
            *turn,
        ]
        if forced(chat):
            if rounds:
                return {}
            triage = state.get("triage")
            intent = triage["intent"] if triage else ""
            name = pick_tool(
                domain, intent, latest_customer_text(state["messages"]), context.customer_id
            )
            if name is None:
                return {}
            bound = chat.bind_tools(tools, tool_choice=name)
        elif rounds >= MAX_TOOL_ROUNDS:
            return {}
        else:
            bound = chat.bind_tools(tools)
        response = await bound.ainvoke(messages)
        return {"messages": [response]}

    call_agent.__name__ = f"call_{domain}_agent"
    return call_agent
