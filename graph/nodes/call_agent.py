"""``call_<domain>_agent``: a specialist that gathers facts with its own tools.

With a capable model it chooses tools freely and may chain them. With a weak
model (``forced=True``) the code picks the tool from the intent and forces it;
the model only fills the arguments.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.runtime import Runtime

from graph.context import Context
from graph.nodes._messages import conversation, current_turn, latest_customer_text
from graph.resources import Lazy
from graph.state import State
from tools import SENSITIVE_TOOLS

MAX_TOOL_ROUNDS = 4
ORDER_NUMBER = re.compile(r"\bBS-?\d{6}\b", re.IGNORECASE)


STATUS_QUESTION = re.compile(
    r"\b(where|when|status|yet|track|tracking|received|still|arrive)\b", re.IGNORECASE
)
CHANGE_WORDS = re.compile(
    r"\b(change|update|switch|turn on|turn off|stop|start|prefer|instead|new (phone|number))\b",
    re.IGNORECASE,
)


def order_number(text: str, history: str = "") -> str | None:
    """The order number in the message, else the latest one earlier in the conversation."""
    found = ORDER_NUMBER.findall(text) or ORDER_NUMBER.findall(history)
    return found[-1].upper() if found else None


def pick_tool(
    domain: str,
    intent: str,
    text: str,
    customer_id: str | None,
    *,
    history: str = "",
    slots_offered: bool = False,
) -> str | None:
    """Choose the tool a weak model must call, or ``None`` to ask the customer first.

    Args:
        domain: The specialist.
        intent: Triage's intent of the message.
        text: The customer's message.
        customer_id: The signed-in customer, if any.
        history: Earlier customer messages (for an order number given before).
        slots_offered: Free slots were shown earlier in the conversation.
    """
    if domain == "orders":
        number = order_number(text, history)
        if number is None:
            return "list_recent_orders" if customer_id else None
        if intent == "cancel_order":
            return "cancel_order"
        if intent == "return_refund" and not STATUS_QUESTION.search(text):
            return "start_return"
        return "get_order_status"
    if domain == "crm":
        if customer_id is None:
            return None
        if intent == "account_details":
            return (
                "update_contact_preferences"
                if CHANGE_WORDS.search(text)
                else ("get_customer_profile")
            )
        if intent in {"open_ticket", "complaint"}:
            return "open_ticket"
        return "get_ticket_status"
    if domain == "appointments":
        if intent == "cancel_appointment":
            return "cancel_appointment" if customer_id else None
        if slots_offered and customer_id:
            return (
                "reschedule_appointment"
                if intent == "reschedule_appointment"
                else ("book_appointment")
            )
        return "find_appointment_slots"
    return "recommend_products"


def one_action_at_a_time(response: Any) -> Any:
    """Keep at most one data-changing call in a response, so each gets its own confirmation."""
    calls = getattr(response, "tool_calls", None) or []
    sensitive = [c for c in calls if c["name"] in SENSITIVE_TOOLS]
    if len(sensitive) <= 1:
        return response
    keep = [c for c in calls if c["name"] not in SENSITIVE_TOOLS or c is sensitive[0]]
    return response.model_copy(update={"tool_calls": keep, "invalid_tool_calls": []})


def _last_tool(messages: list[Any]) -> str | None:
    """Name of the latest tool that ran in ``messages``."""
    return next((m.name for m in reversed(messages) if isinstance(m, ToolMessage)), None)


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
            earlier = state["messages"][: -len(turn)]
            name = pick_tool(
                domain,
                intent,
                latest_customer_text(state["messages"]),
                context.customer_id,
                history=" ".join(m.text for m in earlier if isinstance(m, HumanMessage)),
                slots_offered=_last_tool(earlier) == "find_appointment_slots",
            )
            if name is None:
                return {}
            bound = chat.bind_tools(tools, tool_choice=name)
        elif rounds >= MAX_TOOL_ROUNDS:
            return {}
        else:
            bound = chat.bind_tools(tools)
        response = await bound.ainvoke(messages)
        return {"messages": [one_action_at_a_time(response)]}

    call_agent.__name__ = f"call_{domain}_agent"
    return call_agent
