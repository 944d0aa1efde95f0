"""Graph state: what a caller sends, and what the graph keeps across turns."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

Intent = Literal[
    "greeting",
    "goodbye",
    "thanks",
    "order_status",
    "cancel_order",
    "return_refund",
    "shipping_delivery",
    "payment_billing",
    "product_question",
    "recommendation",
    "book_appointment",
    "reschedule_appointment",
    "cancel_appointment",
    "account_details",
    "open_ticket",
    "ticket_status",
    "complaint",
    "talk_to_human",
    "policy_question",
    "warranty",
    "product_care",
    "oos",
]


class Triage(TypedDict):
    """What triage decided about the latest customer message."""

    intent: str
    confidence: float
    emergency: str | None
    """The kind of emergency (``gas``, ``fire``, …) or ``None``."""
    sentiment: float
    """Compound score from -1 (very negative) to 1 (very positive)."""
    language: str
    """ISO 639-1 code of the message's language."""
    follow_up: NotRequired[bool]
    """The message only made sense as an answer to the previous turn (an email,
    "the second one"), so the previous intent was kept."""


class Passage(TypedDict):
    """A retrieved help-centre chunk."""

    article_id: str
    title: str
    text: str
    score: float


class Citation(TypedDict):
    """An article an answer relied on."""

    id: str
    title: str


def _union(left: list[str] | None, right: list[str] | None) -> list[str]:
    """Keep every id once, in the order first seen."""
    return list(dict.fromkeys([*(left or []), *(right or [])]))


class Escalation(TypedDict):
    """A reason to hand the conversation to a person."""

    reason: str
    """``customer_request``, ``negative_sentiment``, ``out_of_scope``, ``refund_review``,
    ``model_escalation`` (emergencies go to a person straight after the safety text)."""
    priority: Literal["urgent", "high", "normal"]


class InputState(TypedDict):
    """What a caller sends: new messages."""

    messages: Annotated[list[AnyMessage], add_messages]


class State(InputState, total=False):
    """The full conversation state, checkpointed after every step."""

    triage: Triage
    """Triage of the latest customer message."""
    sentiment_trend: list[float]
    """Sentiment of the recent customer messages, oldest first (at most 5)."""
    unclear_streak: int
    """How many customer messages in a row were out of scope or unclear."""
    escalation: Escalation | None
    """Why this turn goes to a person after the reply is drafted, if it does."""
    draft: str | None
    """The reply the bot drafted for a person to approve, edit or replace."""
    passages: list[Passage]
    """Help-centre passages retrieved for the current turn."""
    handoff: dict[str, Any] | None
    """The pending or last handoff request."""
    verified_orders: Annotated[list[str], _union]
    """Orders an anonymous customer proved with the order number and its email."""
