"""``triage``: classify the latest customer message."""

from __future__ import annotations

from typing import Any

from graph.nodes._messages import latest_customer_text
from graph.state import State
from graph.triage_rules import Triager

SENTIMENT_WINDOW = 5


def make_triage(triager: Triager) -> Any:
    """Return the triage node bound to ``triager``."""

    def triage(state: State) -> dict[str, Any]:
        """Record intent, emergency, sentiment and language; clear last turn's passages."""
        result = triager.triage(latest_customer_text(state["messages"]))
        trend = [*state.get("sentiment_trend", []), result["sentiment"]][-SENTIMENT_WINDOW:]
        return {"triage": result, "sentiment_trend": trend, "passages": []}

    return triage
