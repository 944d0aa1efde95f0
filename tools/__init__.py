"""Specialist tools, one module a domain; ``build_tools`` binds them to a backend."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from graph.resources import Lazy
from store.backend import StoreBackend
from store.catalog import Recommender
from tools.appointments import build_appointment_tools
from tools.crm import build_crm_tools
from tools.escalation import build_escalation_tool
from tools.orders import build_order_tools
from tools.recommendations import build_recommendation_tools

DOMAINS = ("orders", "crm", "appointments", "recommendations")
SENSITIVE_TOOLS = frozenset(
    {
        "cancel_order",
        "start_return",
        "update_contact_preferences",
        "open_ticket",
        "book_appointment",
        "reschedule_appointment",
        "cancel_appointment",
    }
)
"""Tools that change data: each asks the customer to confirm (``interrupt``) first."""


def build_tools(
    backend: Lazy[StoreBackend], recommender: Lazy[Recommender]
) -> dict[str, list[BaseTool]]:
    """Return each specialist's tools, first tool first."""
    escalate = build_escalation_tool()
    return {
        "orders": [*build_order_tools(backend), escalate],
        "crm": [*build_crm_tools(backend), escalate],
        "appointments": [*build_appointment_tools(backend), escalate],
        "recommendations": [*build_recommendation_tools(backend, recommender), escalate],
    }


__all__ = ["DOMAINS", "SENSITIVE_TOOLS", "build_tools"]
