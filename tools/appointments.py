"""Appointment tools: free slots, and booking, moving or cancelling a technician visit."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, tool

from graph.context import Context
from graph.nodes._messages import latest_customer_text
from graph.resources import Lazy
from store import policy
from store.backend import StoreBackend
from store.policy import BOOKING_HORIZON_DAYS, Refusal
from tools._common import (
    action_key,
    confirm,
    customer_of,
    declined,
    mentioned,
    off_loop,
    refuse,
    result,
)

_NOT_SIGNED_IN = "The customer is not signed in; they need to sign in to manage appointments."
SLOT_ID = re.compile(r"\bS-\d{8}-\d{2}-TECH\d{2}\b", re.IGNORECASE)
_ORDINALS = {
    "first": 0, "1st": 0, "one": 0, "earliest": 0,
    "second": 1, "2nd": 1, "two": 1,
    "third": 2, "3rd": 2, "three": 2,
    "fourth": 3, "4th": 3, "four": 3,
    "fifth": 4, "5th": 4, "five": 4,
    "last": -1,
}  # fmt: skip
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def slot_label(slot: dict[str, Any]) -> str:
    """A slot as a customer reads it: "Tue 25 Nov, 08:00–10:00 with Marco Diaz"."""
    starts = datetime.fromisoformat(slot["starts_at"])
    ends = datetime.fromisoformat(slot["ends_at"])
    return f"{starts:%a %d %b}, {starts:%H:%M}–{ends:%H:%M} with {slot['technician']}"


def offered_slots(runtime: ToolRuntime[Context, Any]) -> list[dict[str, Any]]:
    """The slots the assistant offered most recently in this conversation."""
    for message in reversed((runtime.state or {}).get("messages", [])):
        if isinstance(message, ToolMessage) and message.name == "find_appointment_slots":
            try:
                data = json.loads(str(message.content))
            except json.JSONDecodeError:
                return []
            return list(data.get("slots", [])) if data.get("ok") else []
    return []


def resolve_slot(choice: str, offered: list[dict[str, Any]]) -> str | None:
    """The slot id meant by ``choice``: an id, "the second one", "Thursday at 10", "2"."""
    found = SLOT_ID.search(choice)
    if found:
        return found.group(0).upper()
    if not offered:
        return None
    text = choice.lower()
    if re.fullmatch(r"\s*(?:option|number|slot|#)?\s*([1-9])\s*\.?\s*", text):
        index = int(re.sub(r"\D", "", text)) - 1
        return offered[index]["id"] if index < len(offered) else None
    candidates = offered
    days = [i for i, name in enumerate(_WEEKDAYS) if name in text or f"{name[:3]} " in text + " "]
    if days:
        candidates = [
            s for s in candidates if datetime.fromisoformat(s["starts_at"]).weekday() in days
        ]
    hour = re.search(r"\b(\d{1,2})(?::00)?\s*(am|pm|h)?\b", text.replace(".", ":"))
    if hour and not re.fullmatch(r"\s*\d\s*", text):
        h = int(hour.group(1)) % 12 + (12 if hour.group(2) == "pm" else 0)
        if hour.group(2) != "pm" and 1 <= h <= 6:
            h += 12  # "at 2" means 14:00 for daytime visits
        timed = [s for s in candidates if datetime.fromisoformat(s["starts_at"]).hour == h]
        candidates = timed or candidates
    if len(candidates) == 1:
        return str(candidates[0]["id"])
    words = re.findall(r"[a-z0-9]+", text)
    ordinal = next((_ORDINALS[w] for w in words if w in _ORDINALS), None)
    if ordinal is not None and candidates:
        return str(candidates[ordinal if ordinal < len(candidates) else -1]["id"])
    return None


def _numbered(slots: list[dict[str, Any]]) -> str:
    return "; ".join(f"{n}) {slot_label(s)}" for n, s in enumerate(slots, start=1))


def build_appointment_tools(backend: Lazy[StoreBackend]) -> list[BaseTool]:
    """Return the appointments specialist's tools bound to ``backend``."""

    async def _booking(
        customer_id: str, booking_id: str | None, runtime: ToolRuntime[Context, Any]
    ) -> dict[str, Any] | str:
        """The customer's upcoming booking meant by ``booking_id`` (or their only one).

        An id that nobody mentioned is the model's invention and counts as none given.
        """
        store = await backend.aget()
        bookings = await off_loop(store.list_bookings, customer_id, datetime.now())
        if booking_id and not mentioned(runtime, booking_id):
            booking_id = None
        if booking_id:
            wanted = booking_id.strip().upper()
            match = [b for b in bookings if b["id"] == wanted]
            if not match:
                return refuse(f"No upcoming appointment {booking_id} was found on this account.")
            return match[0]
        if not bookings:
            return refuse("The customer has no upcoming appointments.")
        if len(bookings) > 1:
            listed = "; ".join(f"{b['id']}: {b['kind']} {slot_label(b)}" for b in bookings)
            return refuse(f"The customer has several appointments; ask which one: {listed}.")
        return bookings[0]

    async def _slot(choice: str, runtime: ToolRuntime[Context, Any]) -> dict[str, Any] | str:
        offered = offered_slots(runtime)
        offered_ids = {s["id"] for s in offered}
        said = latest_customer_text((runtime.state or {}).get("messages", []))
        # The model's pick counts when it is one of the offered slots; otherwise the
        # customer's own words decide (a small model invents plausible slot ids).
        slot_id = resolve_slot(choice, offered)
        if offered and slot_id not in offered_ids:
            slot_id = resolve_slot(said, offered) or slot_id
        if slot_id is None:
            if offered:
                return refuse(f"Ask which slot the customer wants: {_numbered(offered)}.")
            return refuse("No slots were offered yet; find free slots first.")
        slot = await off_loop((await backend.aget()).get_slot, slot_id)
        try:
            policy.booking_terms(slot, datetime.now())
        except Refusal as refusal:
            return refuse(str(refusal))
        assert slot is not None
        return slot

    @tool
    async def find_appointment_slots(
        kind: Literal["installation", "repair"] = "installation",
        earliest_date: str | None = None,
    ) -> str:
        """Find the next free two-hour technician slots (Monday–Saturday, 08:00–18:00).

        Args:
            kind: "installation" for a new appliance, "repair" for a faulty one.
            earliest_date: The first day the customer can do, as YYYY-MM-DD.
        """
        today = date.today()
        start = today + timedelta(days=1)
        if earliest_date:
            try:
                start = max(start, date.fromisoformat(earliest_date.strip()))
            except ValueError:
                return refuse("The date should look like 2026-12-01.")
        if start > today + timedelta(days=BOOKING_HORIZON_DAYS):
            return refuse(f"Appointments can be booked at most {BOOKING_HORIZON_DAYS} days ahead.")
        store = await backend.aget()
        slots = await off_loop(store.find_slots, kind, datetime.combine(start, time.min))
        if not slots:
            return refuse(f"No free {kind} slots from {start.isoformat()} in the next 30 days.")
        summary = f"Free {kind} slots: {_numbered(slots)}. Ask which one the customer wants."
        return result(kind=kind, slots=slots, summary=summary)

    @tool
    async def list_appointments(runtime: ToolRuntime[Context, Any]) -> str:
        """List the signed-in customer's upcoming installation and repair visits."""
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        bookings = await off_loop((await backend.aget()).list_bookings, customer_id, datetime.now())
        lines = [f"{b['id']}: {b['kind']} {slot_label(b)}" for b in bookings]
        summary = "Upcoming visits: " + "; ".join(lines) if lines else "No upcoming visits."
        return result(appointments=bookings, summary=summary)

    @tool
    async def book_appointment(
        slot: str, runtime: ToolRuntime[Context, Any], order_id: str | None = None
    ) -> str:
        """Book one of the offered slots. The customer is asked to confirm first.

        Args:
            slot: The slot id (like S-20261201-10-TECH02), or the customer's choice
                as they said it ("the second one", "Thursday at 10").
            order_id: The order the visit is for, like BS-100123, if known.
        """
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        chosen = await _slot(slot, runtime)
        if isinstance(chosen, str):
            return chosen
        if order_id and not mentioned(runtime, order_id, tools=False):
            order_id = None  # only link an order the customer named (models invent examples)
        if order_id:
            order = await off_loop((await backend.aget()).get_order, order_id)
            if order is None or order["customer_id"] != customer_id:
                return refuse(f"No order {order_id} was found on this account.")
        summary = f"Book a {chosen['kind']} visit on {slot_label(chosen)}."
        if not confirm("book_appointment", summary, slot_id=chosen["id"]):
            return declined("book this visit")
        try:
            done = await off_loop(
                (await backend.aget()).book_slot,
                customer_id,
                slot_id=chosen["id"],
                order_id=order_id,
                now=datetime.now(),
                action_id=action_key(runtime),
            )
        except Refusal as refusal:
            return refuse(str(refusal))
        text = (
            f"Booked: {chosen['kind']} visit {done['booking_id']} on {slot_label(chosen)}. "
            "Free changes are possible up to 24 hours before the slot."
        )
        return result(**done, summary=text)

    @tool
    async def reschedule_appointment(
        slot: str, runtime: ToolRuntime[Context, Any], booking_id: str | None = None
    ) -> str:
        """Move an upcoming visit to one of the offered slots. The customer confirms first.

        Args:
            slot: The new slot id, or the customer's choice as they said it.
            booking_id: The appointment to move, like B-3002, if the customer has several.
        """
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        booking = await _booking(customer_id, booking_id, runtime)
        if isinstance(booking, str):
            return booking
        chosen = await _slot(slot, runtime)
        if isinstance(chosen, str):
            return chosen
        if chosen["kind"] != booking["kind"]:
            return refuse(f"That slot is for {chosen['kind']}; find {booking['kind']} slots.")
        fee = policy.change_fee(booking["starts_at"], datetime.now())
        summary = (
            f"Move your {booking['kind']} visit from {slot_label(booking)} to {slot_label(chosen)}."
        )
        summary += (
            f" Because it is less than 24 hours away, a {fee:.0f} USD late-change fee applies."
            if fee
            else " This change is free."
        )
        if not confirm("reschedule_appointment", summary, booking_id=booking["id"]):
            return declined("move the visit")
        try:
            done = await off_loop(
                (await backend.aget()).reschedule_booking,
                customer_id,
                booking_id=booking["id"],
                slot_id=chosen["id"],
                now=datetime.now(),
                action_id=action_key(runtime),
            )
        except Refusal as refusal:
            return refuse(str(refusal))
        return result(**done, summary=f"Done. {summary}")

    @tool
    async def cancel_appointment(
        runtime: ToolRuntime[Context, Any], booking_id: str | None = None
    ) -> str:
        """Cancel an upcoming installation or repair visit. The customer confirms first.

        Args:
            booking_id: The appointment to cancel, like B-3002, if the customer has several.
        """
        customer_id = customer_of(runtime)
        if customer_id is None:
            return refuse(_NOT_SIGNED_IN)
        booking = await _booking(customer_id, booking_id, runtime)
        if isinstance(booking, str):
            return booking
        fee = policy.change_fee(booking["starts_at"], datetime.now())
        summary = f"Cancel your {booking['kind']} visit on {slot_label(booking)}."
        summary += (
            f" Because it is less than 24 hours away, a {fee:.0f} USD late-change fee applies."
            if fee
            else " Cancelling is free."
        )
        if not confirm("cancel_appointment", summary, booking_id=booking["id"]):
            return declined("cancel the visit")
        try:
            done = await off_loop(
                (await backend.aget()).cancel_booking,
                customer_id,
                booking_id=booking["id"],
                now=datetime.now(),
                action_id=action_key(runtime),
            )
        except Refusal as refusal:
            return refuse(str(refusal))
        return result(**done, summary=f"Done. {summary}")

    return [
        find_appointment_slots,
        book_appointment,
        reschedule_appointment,
        cancel_appointment,
        list_appointments,
    ]
