"""``triage``: classify the latest customer message."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from langchain_core.messages import ToolMessage

from graph.nodes._messages import latest_customer_text
from graph.resources import Lazy
from graph.routing import INTENT_ROUTES
from graph.state import Escalation, State, Triage
from tools.appointments import resolve_slot
from triage import Triager
from triage.signals import STRONGLY_NEGATIVE

SENTIMENT_WINDOW = 5
LOW_CONFIDENCE = 0.4
"""Intent confidence under which a message counts as unclear."""
FOLLOW_UP_INTENTS = frozenset(
    intent for intent, route in INTENT_ROUTES.items() if route.startswith("call_")
)
"""Specialist conversations that ask the customer something (an email, a choice)."""


FOLLOW_UP_MAX_WORDS = 12
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
ORDER_INTENTS = frozenset(i for i, r in INTENT_ROUTES.items() if r == "call_orders_agent")


def _offered_slots(messages: list[Any]) -> list[dict[str, Any]]:
    """The slots the previous turn offered, if its last tool was a slot search."""
    earlier = messages[:-1]
    last = next((m for m in reversed(earlier) if isinstance(m, ToolMessage)), None)
    if last is None or last.name != "find_appointment_slots":
        return []
    try:
        data = json.loads(str(last.content))
    except json.JSONDecodeError:
        return []
    return list(data.get("slots", [])) if data.get("ok") else []


def _is_follow_up(previous: Triage, current: Triage, text: str, messages: list[Any]) -> bool:
    """A short message that answers the previous specialist turn's question.

    The answer to "which email is on the order?" or "which slot?" means little
    on its own, so the classifier may call it anything; recognise it by its
    shape instead. Only one step: a follow-up of a follow-up is taken as it is.
    """
    if current["emergency"] or previous.get("follow_up"):
        return False
    if previous["intent"] not in FOLLOW_UP_INTENTS or len(text.split()) > FOLLOW_UP_MAX_WORDS:
        return False
    if previous["intent"] in ORDER_INTENTS and EMAIL.search(text):
        return True
    offered = _offered_slots(messages)
    if offered and resolve_slot(text, offered) is not None:
        return True
    return current["intent"] == "oos"


def make_triage(triager: Lazy[Triager]) -> Any:
    """Return the triage node bound to ``triager``."""

    async def triage(state: State) -> dict[str, Any]:
        """Record intent, emergency, sentiment and language; clear last turn's passages.

        A request for a person, two strongly negative messages in a row, or two
        out-of-scope or unclear ones set ``escalation``: the reply is drafted for
        a person to check. A short answer to the previous specialist turn
        ("ava@example.com", "the second one") keeps the previous intent.
        """
        previous = state.get("triage")
        model = await triager.aget()
        text = latest_customer_text(state["messages"])
        result = await asyncio.to_thread(
            model.triage, text, previous["language"] if previous else None
        )
        if previous and _is_follow_up(previous, result, text, state["messages"]):
            result = {**result, "intent": previous["intent"], "follow_up": True}
        trend = [*state.get("sentiment_trend", []), result["sentiment"]][-SENTIMENT_WINDOW:]
        negative = len(trend) >= 2 and all(s <= STRONGLY_NEGATIVE for s in trend[-2:])
        unclear = result["intent"] == "oos" or result["confidence"] < LOW_CONFIDENCE
        streak = state.get("unclear_streak", 0) + 1 if unclear else 0
        escalation: Escalation | None = None
        if result["intent"] == "talk_to_human":
            escalation = {"reason": "customer_request", "priority": "normal"}
        elif negative:
            escalation = {"reason": "negative_sentiment", "priority": "high"}
        elif streak >= 2:
            escalation = {"reason": "out_of_scope", "priority": "normal"}
        return {
            "triage": result,
            "sentiment_trend": trend,
            "unclear_streak": streak,
            "escalation": escalation,
            "draft": None,
            "passages": [],
        }

    return triage
