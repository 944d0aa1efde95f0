"""Specialist tools, one module a domain; ``build_tools`` binds them to a backend."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from graph.resources import Lazy
from store.backend import StoreBackend
from tools.appointments import build_appointment_tools
from tools.crm import build_crm_tools
from tools.orders import build_order_tools
from tools.recommendations import build_recommendation_tools

DOMAINS = ("orders", "crm", "appointments", "recommendations")


def build_tools(backend: Lazy[StoreBackend]) -> dict[str, list[BaseTool]]:
    """Return each specialist's tools, first tool first (the one forced for weak models)."""
    return {
        "orders": build_order_tools(backend),
        "crm": build_crm_tools(backend),
        "appointments": build_appointment_tools(backend),
        "recommendations": build_recommendation_tools(backend),
    }


__all__ = ["DOMAINS", "build_tools"]
