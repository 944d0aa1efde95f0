"""CRM tools: the signed-in customer's profile and tickets."""

from __future__ import annotations

from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool

from graph.context import Context
from graph.resources import Lazy
from store.backend import StoreBackend
from tools._common import customer_of, off_loop, refuse, result

_NOT_SIGNED_IN = "The customer is not signed in, so account details cannot be shown."


def build_crm_tools(backend: Lazy[StoreBackend]) -> list[BaseTool]:
    """Return the CRM specialist's tools bound to ``backend``."""

    @tool
    async def get_customer_profile(runtime: ToolRuntime[Context, Any]) -> str:
        """Show the signed-in customer's name, email, phone, address and contact preference."""
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        profile = await off_loop((await backend.aget()).get_customer, customer_id)
        return result(profile=profile) if profile else refuse("No such customer.")

    @tool
    async def get_ticket_status(
        runtime: ToolRuntime[Context, Any], ticket_id: str | None = None
    ) -> str:
        """Show the status of the customer's support tickets, or of one ticket.

        Args:
            ticket_id: A ticket number like T-5001, if the customer named one.
        """
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        tickets = await off_loop((await backend.aget()).list_tickets, customer_id, 10)
        if ticket_id:
            wanted = ticket_id.strip().upper()
            tickets = [t for t in tickets if t["id"] == wanted]
            if not tickets:
                return refuse(f"No ticket {ticket_id} was found on this account.")
        return result(tickets=tickets)

    return [get_ticket_status, get_customer_profile]
