"""``triage``: classify the latest customer message."""

from __future__ import annotations

import asyncio
from typing import Any

from graph.nodes._messages import latest_customer_text
from graph.resources import Lazy
from graph.state import State
from triage import Triager
from triage.signals import STRONGLY_NEGATIVE

SENTIMENT_WINDOW = 5


def make_triage(triager: Lazy[Triager]) -> Any:
    """Return the triage node bound to ``triager``."""

    async def triage(state: State) -> dict[str, Any]:
        """Record intent, emergency, sentiment and language; clear last turn's passages.

        Two strongly negative customer messages in a row set ``offer_human``.
        """
        previous = state.get("triage")
        model = await triager.aget()
        result = await asyncio.to_thread(
            model.triage,
            latest_customer_text(state["messages"]),
            previous["language"] if previous else None,
        )
        trend = [*state.get("sentiment_trend", []), result["sentiment"]][-SENTIMENT_WINDOW:]
        offer_human = len(trend) >= 2 and all(s <= STRONGLY_NEGATIVE for s in trend[-2:])
        return {
            "triage": result,
            "sentiment_trend": trend,
            "offer_human": offer_human,
            "passages": [],
        }

    return triage
