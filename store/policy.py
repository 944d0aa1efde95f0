"""Store policies, enforced in code; the help-centre articles state the same numbers.

Each ``*_terms`` function looks at the facts and returns either a refusal (a
sentence the assistant can relay) or the exact terms of the action. They are
pure, so the tools, the backend's re-check and the tests all agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

RETURN_WINDOW_DAYS = 30
AUTO_REFUND_LIMIT_USD = 1000.0
"""Refunds up to this amount (inclusive) are approved automatically."""
COLLECTION_FEE_USD = 25.0
"""Large appliances returned for a reason other than a fault or a wrong item."""
LATE_CHANGE_FEE_USD = 35.0
FREE_CHANGE_HOURS = 24
CANCELLABLE_STATUSES = frozenset({"pending", "processing"})
ORDER_STATUSES = (
    "pending",
    "processing",
    "shipped",
    "out_for_delivery",
    "delivered",
    "cancelled",
    "returned",
)
LARGE_APPLIANCE_CATEGORIES = frozenset(
    {"refrigerator", "washer", "dryer", "dishwasher", "range", "freezer"}
)
RETURN_REASONS = ("changed_mind", "faulty", "wrong_item", "damaged")
FREE_RETURN_REASONS = frozenset({"faulty", "wrong_item", "damaged"})
CONTACT_CHANNELS = ("email", "sms", "phone")
SLOT_HOURS = (8, 10, 12, 14, 16)
"""Appointment slots start at these hours and last two hours, Monday to Saturday."""
BOOKING_HORIZON_DAYS = 30


class Refusal(Exception):
    """The policy does not allow the action; ``str(self)`` says why, for the customer."""


def cancel_terms(order: dict[str, Any]) -> None:
    """Raise ``Refusal`` unless the order can still be cancelled."""
    status = order["status"]
    if status == "cancelled":
        raise Refusal(f"Order {order['id']} is already cancelled.")
    if status not in CANCELLABLE_STATUSES:
        hint = {
            "shipped": "it has shipped: the customer can refuse the delivery or return it "
            "within 30 days of delivery",
            "out_for_delivery": "it is out for delivery: the customer can refuse the delivery "
            "or return it within 30 days of delivery",
            "delivered": "it was delivered: the customer can start a return within 30 days "
            "of delivery instead",
            "returned": "it was already returned",
        }.get(status, f"its status is {status}")
        raise Refusal(f"Order {order['id']} can't be cancelled because {hint}.")


@dataclass(frozen=True)
class ReturnTerms:
    """What a return will do: the refund, the fee and whether a person approves it."""

    refund_amount: float
    collection_fee: float
    needs_review: bool


def return_terms(
    order: dict[str, Any],
    reason: str,
    now: datetime,
    *,
    installed: bool = False,
    existing_returns: int = 0,
) -> ReturnTerms:
    """The terms of returning the whole order, or ``Refusal``."""
    if reason not in RETURN_REASONS:
        raise Refusal(f"The reason must be one of: {', '.join(RETURN_REASONS)}.")
    if existing_returns or order["status"] == "returned":
        raise Refusal(f"A return has already been started for order {order['id']}.")
    if order["status"] != "delivered" or not order.get("delivered_at"):
        raise Refusal(
            f"Order {order['id']} is {order['status'].replace('_', ' ')}; a return can only be "
            "started after delivery."
        )
    delivered = _as_datetime(order["delivered_at"])
    if now - delivered > timedelta(days=RETURN_WINDOW_DAYS):
        raise Refusal(
            f"Order {order['id']} was delivered on {delivered:%Y-%m-%d}, more than "
            f"{RETURN_WINDOW_DAYS} days ago, so it is outside the return window. A fault is "
            "covered by the 2-year manufacturer warranty instead."
        )
    final_sale = [line["name"] for line in order["lines"] if line.get("final_sale")]
    if final_sale and reason not in {"wrong_item"}:
        raise Refusal(
            f"{', '.join(final_sale)} was sold as final-sale clearance and can't be returned "
            "(a defect is covered by the manufacturer warranty)."
        )
    large = any(line["category"] in LARGE_APPLIANCE_CATEGORIES for line in order["lines"])
    if installed and reason == "changed_mind":
        raise Refusal(
            "An installed large appliance can only be returned if it is faulty; a fault is "
            "handled through a repair visit under warranty."
        )
    fee = COLLECTION_FEE_USD if large and reason not in FREE_RETURN_REASONS else 0.0
    refund = round(float(order["total"]) - fee, 2)
    return ReturnTerms(
        refund_amount=refund, collection_fee=fee, needs_review=refund > AUTO_REFUND_LIMIT_USD
    )


def change_fee(slot_starts_at: Any, now: datetime) -> float:
    """The late-change fee for moving or cancelling a visit that starts at ``slot_starts_at``."""
    if _as_datetime(slot_starts_at) - now < timedelta(hours=FREE_CHANGE_HOURS):
        return LATE_CHANGE_FEE_USD
    return 0.0


def booking_terms(slot: dict[str, Any] | None, now: datetime) -> None:
    """Raise ``Refusal`` unless ``slot`` can be booked now."""
    if slot is None:
        raise Refusal("That appointment slot doesn't exist; offer the customer the free slots.")
    starts = _as_datetime(slot["starts_at"])
    if starts <= now:
        raise Refusal("That slot is in the past; offer the customer a later one.")
    if starts - now > timedelta(days=BOOKING_HORIZON_DAYS):
        raise Refusal(f"Appointments can be booked at most {BOOKING_HORIZON_DAYS} days ahead.")
    if slot.get("booked_by"):
        raise Refusal("Sorry, that slot has just been taken; offer the customer another one.")


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
