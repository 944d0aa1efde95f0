"""CRM tools: the signed-in customer's profile, contact preferences and tickets."""

from __future__ import annotations

import re
from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool

from graph.context import Context
from graph.resources import Lazy
from store.backend import StoreBackend
from store.policy import Refusal
from tools._common import (
    action_key,
    confirm,
    customer_of,
    declined,
    mentioned,
    off_loop,
    refuse,
    result,
    said,
)

FOLLOW_UP = "The team follows up here during support hours (Monday–Saturday, 08:00–20:00)."
_NOT_SIGNED_IN = "The customer is not signed in, so account details cannot be shown or changed."
Channel = Literal["email", "sms", "phone"]


def build_crm_tools(backend: Lazy[StoreBackend]) -> list[BaseTool]:
    """Return the CRM specialist's tools bound to ``backend``."""

    @tool
    async def get_customer_profile(runtime: ToolRuntime[Context, Any]) -> str:
        """Show the signed-in customer's name, email, phone, address and contact preferences."""
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        profile = await off_loop((await backend.aget()).get_customer, customer_id)
        if not profile:
            return refuse("No such customer.")
        address = profile.get("address") or {}
        summary = (
            f"Name {profile['name']}, email {profile['email']}, phone {profile['phone']}. "
            f"Contact by: {profile['contact_preference'].replace(',', ', ')}. "
            f"Address: {address.get('line1', '')}, {address.get('city', '')} "
            f"{address.get('state', '')} {address.get('postal_code', '')}."
        )
        return result(profile=profile, summary=summary)

    @tool
    async def get_ticket_status(
        runtime: ToolRuntime[Context, Any], ticket_id: str | None = None
    ) -> str:
        """Show the status of the customer's support tickets, or of one ticket with its replies.

        Args:
            ticket_id: A ticket number like T-5001, if the customer named one.
        """
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        store = await backend.aget()
        if ticket_id:
            ticket = await off_loop(store.get_ticket, ticket_id)
            if ticket is None or ticket.pop("customer_id") != customer_id:
                return refuse(f"No ticket {ticket_id} was found on this account.")
            last = ticket["comments"][-1]["body"] if ticket["comments"] else ""
            summary = (
                f"Ticket {ticket['id']} ({ticket['subject']}) is {ticket['status']}, last "
                f"updated {ticket['updated_at'][:10]}. Latest reply: {last}"
            )
            return result(ticket=ticket, summary=summary)
        tickets = await off_loop(store.list_tickets, customer_id, 10)
        lines = [f"{t['id']} {t['subject']}: {t['status']}" for t in tickets]
        summary = "Tickets: " + "; ".join(lines) if lines else "No tickets on this account."
        return result(tickets=tickets, summary=summary)

    @tool
    async def update_contact_preferences(
        channels: list[Channel],
        runtime: ToolRuntime[Context, Any],
        phone: str | None = None,
    ) -> str:
        """Change how Brightside contacts the customer. The customer is asked to confirm first.

        Args:
            channels: Every channel the customer wants from now on: "email", "sms", "phone".
            phone: A new phone number, if the customer gave one.
        """
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        wanted = [c for c in ("email", "sms", "phone") if c in set(channels)]
        if not wanted:
            return refuse("At least one of email, SMS or phone must stay on.")
        if phone is not None and sum(ch.isdigit() for ch in phone) < 7:
            return refuse(f"{phone} doesn't look like a phone number.")
        if ("sms" in wanted or "phone" in wanted) and not phone:
            profile = await off_loop((await backend.aget()).get_customer, customer_id)
            if profile and not profile.get("phone"):
                return refuse("There is no phone number on the account; ask for one.")
        summary = f"Contact you by {', '.join(wanted)} from now on"
        summary += f", at the phone number {phone}." if phone else "."
        if not confirm("update_contact_preferences", summary, channels=wanted, phone=phone):
            return declined("change the contact preferences")
        done = await off_loop(
            (await backend.aget()).update_contact,
            customer_id,
            channels=wanted,
            phone=phone,
            action_id=action_key(runtime),
        )
        return result(**done, summary=f"Done: we'll {summary[0].lower()}{summary[1:]}")

    @tool
    async def open_ticket(
        subject: str,
        description: str,
        runtime: ToolRuntime[Context, Any],
        order_id: str | None = None,
    ) -> str:
        """Open a support ticket for the team to follow up. The customer is asked to confirm first.

        Args:
            subject: A short title, like "Dent on fridge door".
            description: What happened, in the customer's words.
            order_id: The order it is about, like BS-100123, if any.
        """
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        subject, description = subject.strip()[:120], description.strip()[:2000]
        if not subject or not description:
            return refuse("A ticket needs a subject and a description of the problem.")
        if not _mostly_from(subject, description + " " + said(runtime)):
            subject = _title(description)  # the model copied the docstring's example
        about = ""
        if order_id and not mentioned(runtime, order_id):
            order_id = None  # only link an order that came up (models invent examples)
        if order_id:
            order = await off_loop((await backend.aget()).get_order, order_id)
            if order is None or order["customer_id"] != customer_id:
                return refuse(f"No order {order_id} was found on this account.")
            about = f" about order {order['id']}"
        summary = f'Open a support ticket{about}: "{subject}". {FOLLOW_UP}'
        if not confirm("open_ticket", summary, subject=subject, order_id=order_id):
            return declined("open a ticket")
        try:
            done = await off_loop(
                (await backend.aget()).create_ticket,
                customer_id,
                subject=subject,
                description=description,
                order_id=order_id,
                action_id=action_key(runtime),
            )
        except Refusal as refusal:
            return refuse(str(refusal))
        text = f'Ticket {done["ticket_id"]} is open: "{subject}". {FOLLOW_UP}'
        return result(**done, summary=text)

    return [get_ticket_status, get_customer_profile, update_contact_preferences, open_ticket]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower())}


def _mostly_from(subject: str, source: str) -> bool:
    """Whether at least half the subject's words (four letters or more) are in ``source``."""
    words = _words(subject)
    return not words or len(words & _words(source)) * 2 >= len(words)


def _title(description: str, words: int = 8) -> str:
    """A subject from the first words of the description."""
    head = " ".join(description.split()[:words]).rstrip(".,;:!?")
    return head[:1].upper() + head[1:] if head else "Support request"
