"""``triage``: classify the latest customer message."""

from __future__ import annotations

import asyncio
from typing import Any

from graph.nodes._messages import latest_customer_text
from graph.resources import Lazy
from graph.routing import INTENT_ROUTES
from graph.state import State, Triage
from triage import Triager
from triage.signals import STRONGLY_NEGATIVE

SENTIMENT_WINDOW = 5
FOLLOW_UP_INTENTS = frozenset(
    intent for intent, route in INTENT_ROUTES.items() if route.startswith("call_")
)
"""Specialist conversations that ask the customer something (an email, a choice)."""


FOLLOW_UP_MAX_WORDS = 12


def _is_follow_up(previous: Triage, current: Triage, text: str) -> bool:
    """A short out-of-scope message right after a specialist turn answers its question.

    Only one step: a follow-up of a follow-up is taken as it is.
    """
    return (
        current["intent"] == "oos"
        and not current["emergency"]
        and previous["intent"] in FOLLOW_UP_INTENTS
        and not previous.get("follow_up")
        and len(text.split()) <= FOLLOW_UP_MAX_WORDS
    )


def make_triage(triager: Lazy[Triager]) -> Any:
    """Return the triage node bound to ``triager``."""

    async def triage(state: State) -> dict[str, Any]:
        """Record intent, emergency, sentiment and language; clear last turn's passages.

        Two strongly negative customer messages in a row set ``offer_human``. A
        message that is out of scope on its own right after a specialist turn
        ("ava@example.com", "the second one") keeps the previous intent.
        """
        previous = state.get("triage")
        model = await triager.aget()
        text = latest_customer_text(state["messages"])
        result = await asyncio.to_thread(
            model.triage, text, previous["language"] if previous else None
        )
        if previous and _is_follow_up(previous, result, text):
            result = {**result, "intent": previous["intent"], "follow_up": True}
        trend = [*state.get("sentiment_trend", []), result["sentiment"]][-SENTIMENT_WINDOW:]
        offer_human = len(trend) >= 2 and all(s <= STRONGLY_NEGATIVE for s in trend[-2:])
        return {
            "triage": result,
            "sentiment_trend": trend,
            "offer_human": offer_human,
            "passages": [],
        }

    return triage
