"""Order tools: status, tracking and recent orders, only for the order's owner."""

from __future__ import annotations

from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool

from graph.context import Context
from graph.resources import Lazy
from store.backend import StoreBackend
from tools._common import customer_of, off_loop, refuse, result


def build_order_tools(backend: Lazy[StoreBackend]) -> list[BaseTool]:
    """Return the orders specialist's tools bound to ``backend``."""

    @tool
    async def get_order_status(
        order_id: str, runtime: ToolRuntime[Context, Any], email: str | None = None
    ) -> str:
        """Look up one order's status, items, delivery estimate and tracking events.

        Args:
            order_id: The order number, like BS-100123.
            email: The email address on the order, if the customer gave one. Needed
                when the customer is not signed in.
        """
        order = await off_loop((await backend.aget()).get_order, order_id)
        customer_id = customer_of(runtime)
        if order is None:
            return refuse(f"No order {order_id} was found. Ask the customer to check the number.")
        if customer_id is not None:
            if order["customer_id"] != customer_id:
                return refuse("That order belongs to a different account; no details can be given.")
        elif not email or email.strip().lower() != order["email"].lower():
            return refuse(
                "To protect the customer's privacy, ask for the order number together with "
                "the email address used for the order."
            )
        order.pop("customer_id", None)
        order.pop("email", None)
        return result(order=order, summary=order_summary(order))

    @tool
    async def list_recent_orders(runtime: ToolRuntime[Context, Any]) -> str:
        """List the signed-in customer's five most recent orders with their status."""
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(
                "The customer is not signed in. Ask for an order number and the email on it."
            )
        orders = await off_loop((await backend.aget()).list_orders, customer_id)
        lines = [f"{o['id']}: {o['status']}, placed {o['placed_at'][:10]}" for o in orders]
        summary = "Recent orders: " + "; ".join(lines) if lines else "No orders on this account."
        return result(orders=orders, summary=summary)

    return [get_order_status, list_recent_orders]


def order_summary(order: dict[str, Any]) -> str:
    """The order's facts in plain sentences, so a small model cannot misread them."""
    items = ", ".join(f"{line['name']} (x{line['quantity']})" for line in order["lines"])
    text = [
        f"Order {order['id']} is {order['status'].replace('_', ' ')}.",
        f"Placed on {order['placed_at'][:10]}. Items: {items}. Total {order['total']:.2f} USD.",
    ]
    if order.get("delivered_at"):
        text.append(f"Delivered on {order['delivered_at'][:10]}.")
    shipment = order.get("shipment")
    if shipment:
        text.append(
            f"Carrier {shipment['carrier']}, tracking number {shipment['tracking_number']}."
        )
        if order["status"] in {"shipped", "out_for_delivery"} and shipment["estimated_delivery"]:
            text.append(f"Estimated delivery: {shipment['estimated_delivery'][:10]}.")
        if shipment["events"]:
            last = shipment["events"][-1]
            text.append(
                f"Latest tracking update ({last['at'][:10]}): {last['description']}, "
                f"at {last['location']}."
            )
    return " ".join(text)
