"""Appointment tools: free installation and repair slots."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from langchain_core.tools import BaseTool, tool

from graph.resources import Lazy
from store.backend import StoreBackend
from store.policy import BOOKING_HORIZON_DAYS
from tools._common import off_loop, refuse, result


def build_appointment_tools(backend: Lazy[StoreBackend]) -> list[BaseTool]:
    """Return the appointments specialist's tools bound to ``backend``."""

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
        return result(kind=kind, slots=slots)

    return [find_appointment_slots]
