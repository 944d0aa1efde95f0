"""Routers: pure functions of the state."""

from __future__ import annotations

from typing import Literal

from langchain_core.messages import AIMessage, HumanMessage

from graph.state import State

Route = Literal[
    "alert_safety",
    "hand_off",
    "retrieve",
    "call_orders_agent",
    "call_crm_agent",
    "call_appointments_agent",
    "call_recommendations_agent",
    "respond",
]

INTENT_ROUTES: dict[str, Route] = {
    "talk_to_human": "respond",  # drafts a reply, then hand_off (see route_after_respond)
    "order_status": "call_orders_agent",
    "cancel_order": "call_orders_agent",
    "return_refund": "call_orders_agent",
    "account_details": "call_crm_agent",
    "open_ticket": "call_crm_agent",
    "ticket_status": "call_crm_agent",
    "complaint": "call_crm_agent",
    "book_appointment": "call_appointments_agent",
    "reschedule_appointment": "call_appointments_agent",
    "cancel_appointment": "call_appointments_agent",
    "recommendation": "call_recommendations_agent",
    "product_question": "call_recommendations_agent",
    "shipping_delivery": "retrieve",
    "payment_billing": "retrieve",
    "policy_question": "retrieve",
    "warranty": "retrieve",
    "product_care": "retrieve",
}


def route_after_triage(state: State) -> Route:
    """Send an emergency to safety, then route by intent; the rest is answered directly."""
    triage = state.get("triage")
    if triage is None:
        return "respond"
    if triage["emergency"]:
        return "alert_safety"
    return INTENT_ROUTES.get(triage["intent"], "respond")


def route_after_agent(state: State) -> Literal["tools", "retrieve", "respond"]:
    """Run the tools the agent asked for; go on to the reply when it is done.

    A specialist that had nothing to look up (no order number yet, a general
    return question) added no message: the help centre answers instead.
    """
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and last.tool_calls:
        return "tools"
    if isinstance(last, HumanMessage):
        return "retrieve"
    return "respond"


def route_after_respond(state: State) -> Literal["hand_off", "__end__"]:
    """A drafted reply goes to a person; any other reply ends the turn."""
    return "hand_off" if state.get("escalation") else "__end__"
