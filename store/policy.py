"""Store policies, enforced in code; the help-centre articles state the same numbers."""

RETURN_WINDOW_DAYS = 30
AUTO_REFUND_LIMIT_USD = 1000.0
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
SLOT_HOURS = (8, 10, 12, 14, 16)
"""Appointment slots start at these hours and last two hours, Monday to Saturday."""
BOOKING_HORIZON_DAYS = 30
