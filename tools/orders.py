"""Order tools: status, tracking, recent orders, cancel and return, only for the order's owner.

The owner is the signed-in customer of the session, or an anonymous customer
who gave the order number together with the email on it (remembered for the
rest of the conversation in ``verified_orders``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool
from langgraph.types import Command

from graph.context import Context
from graph.resources import Lazy
from store import policy
from store.backend import StoreBackend
from store.policy import Refusal
from tools._common import (
    action_key,
    confirm,
    customer_of,
    declined,
    off_loop,
    refuse,
    result,
    verified_orders,
    with_verified,
)

ReturnReason = Literal["changed_mind", "faulty", "wrong_item", "damaged"]


class _Access:
    """An order the customer may act on, and who owns it."""

    def __init__(self, order: dict[str, Any], owner: str, newly_verified: bool) -> None:
        self.order, self.owner, self.newly_verified = order, owner, newly_verified

    def reply(self, runtime: ToolRuntime[Context, Any], content: str) -> str | Command:
        """``content``, remembering the verification when this call made it."""
        if self.newly_verified:
            return with_verified(runtime, content, self.order["id"])
        return content


async def _access(
    backend: Lazy[StoreBackend],
    order_id: str,
    email: str | None,
    runtime: ToolRuntime[Context, Any],
) -> _Access | str:
    """The order if this session may see it, else a refusal to relay."""
    order = await off_loop((await backend.aget()).get_order, order_id)
    if order is None:
        return refuse(f"No order {order_id} was found. Ask the customer to check the number.")
    customer_id = customer_of(runtime)
    owner = order.pop("customer_id")
    on_file = order.pop("email")
    if customer_id is not None:
        if owner != customer_id:
            return refuse("That order belongs to a different account; no details can be given.")
        return _Access(order, owner, newly_verified=False)
    if order["id"] in verified_orders(runtime):
        return _Access(order, owner, newly_verified=False)
    if email and email.strip().lower() == on_file.lower():
        return _Access(order, owner, newly_verified=True)
    return refuse(
        "To protect your privacy, I need the email address used for this order before I "
        "can share or change anything about it."
    )


def build_order_tools(backend: Lazy[StoreBackend]) -> list[BaseTool]:
    """Return the orders specialist's tools bound to ``backend``."""

    @tool
    async def get_order_status(
        order_id: str, runtime: ToolRuntime[Context, Any], email: str | None = None
    ) -> str | Command:
        """Look up one order's status, items, delivery estimate and tracking events.

        Args:
            order_id: The order number, like BS-100123.
            email: The email address on the order, if the customer gave one. Needed
                when the customer is not signed in.
        """
        access = await _access(backend, order_id, email, runtime)
        if isinstance(access, str):
            return access
        order = access.order
        return access.reply(runtime, result(order=order, summary=order_summary(order)))

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

    @tool
    async def cancel_order(
        order_id: str, runtime: ToolRuntime[Context, Any], email: str | None = None
    ) -> str | Command:
        """Cancel an order that has not shipped yet. The customer is asked to confirm first.

        Args:
            order_id: The order number, like BS-100123.
            email: The email address on the order, if the customer is not signed in.
        """
        access = await _access(backend, order_id, email, runtime)
        if isinstance(access, str):
            return access
        order = access.order
        try:
            policy.cancel_terms(order)
        except Refusal as refusal:
            return access.reply(runtime, refuse(str(refusal)))
        summary = (
            f"Cancel order {order['id']} ({_items(order)}, total {order['total']:.2f} USD). "
            "Your card is only charged when an order ships, so you won't be charged."
        )
        if not confirm("cancel_order", summary, order_id=order["id"]):
            return access.reply(runtime, declined(f"cancel order {order['id']}"))
        try:
            done = await off_loop(
                (await backend.aget()).cancel_order,
                order["id"],
                customer_id=access.owner,
                action_id=action_key(runtime),
            )
        except Refusal as refusal:
            return access.reply(runtime, refuse(str(refusal)))
        text = f"Order {order['id']} is now cancelled. A confirmation email is on its way."
        return access.reply(runtime, result(**done, summary=text))

    @tool
    async def start_return(
        order_id: str,
        reason: ReturnReason,
        runtime: ToolRuntime[Context, Any],
        email: str | None = None,
    ) -> str | Command:
        """Start a return and refund of a delivered order. The customer is asked to confirm first.

        Args:
            order_id: The order number, like BS-100123.
            reason: Why it goes back: "changed_mind", "faulty", "wrong_item" or "damaged".
            email: The email address on the order, if the customer is not signed in.
        """
        access = await _access(backend, order_id, email, runtime)
        if isinstance(access, str):
            return access
        order = access.order
        now = datetime.now()
        try:
            terms = policy.return_terms(
                order,
                reason,
                now,
                installed=order["installed"],
                existing_returns=len(order["returns"]),
            )
        except Refusal as refusal:
            return access.reply(runtime, refuse(str(refusal)))
        summary = return_summary(order, reason, terms)
        if not confirm("start_return", summary, order_id=order["id"], reason=reason):
            return access.reply(runtime, declined(f"return order {order['id']}"))
        try:
            done = await off_loop(
                (await backend.aget()).create_return,
                order["id"],
                reason=reason,
                now=now,
                customer_id=access.owner,
                action_id=action_key(runtime),
            )
        except Refusal as refusal:
            return access.reply(runtime, refuse(str(refusal)))
        text = f"Return {done['return_id']} is started. {summary.split('. ', 1)[1]}"
        return access.reply(runtime, result(**done, summary=text))

    return [get_order_status, list_recent_orders, cancel_order, start_return]


def _items(order: dict[str, Any]) -> str:
    return ", ".join(f"{line['name']} (x{line['quantity']})" for line in order["lines"])


def return_summary(order: dict[str, Any], reason: str, terms: policy.ReturnTerms) -> str:
    """The exact terms of a return, in the words the customer confirms."""
    text = [
        f"Return order {order['id']} ({_items(order)}) as {reason.replace('_', ' ')}.",
        f"Refund: {terms.refund_amount:.2f} USD to your original payment method within "
        "5–7 business days after we receive and inspect the items.",
    ]
    if terms.collection_fee:
        text.append(f"A {terms.collection_fee:.0f} USD collection fee is deducted.")
    if terms.needs_review:
        text.append(
            "Because the refund is above 1,000 USD, a support specialist approves it "
            "within 2 business days."
        )
    return " ".join(text)


def order_summary(order: dict[str, Any]) -> str:
    """The order's facts in plain sentences, so a small model cannot misread them."""
    text = [
        f"Order {order['id']} is {order['status'].replace('_', ' ')}.",
        f"Placed on {order['placed_at'][:10]}. Items: {_items(order)}. "
        f"Total {order['total']:.2f} USD.",
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
    for ret in order.get("returns") or []:
        text.append(
            f"Return {ret['id']} is {ret['status']} (refund {ret['refund_amount']:.2f} USD)."
        )
    return " ".join(text)
