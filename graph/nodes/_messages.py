"""Message helpers shared by nodes."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage


def current_turn(messages: Sequence[AnyMessage]) -> list[AnyMessage]:
    """The messages since (and including) the latest customer message."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return list(messages[index:])
    return list(messages)


def latest_customer_text(messages: Sequence[AnyMessage]) -> str:
    """Text of the latest customer message."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return ""


def conversation(messages: Sequence[AnyMessage], limit: int) -> list[AnyMessage]:
    """The last ``limit`` plain chat messages: customer text and assistant replies.

    Tool calls and tool results are left out; nodes pass those as facts.
    """
    plain: list[AnyMessage] = []
    for message in messages:
        if isinstance(message, HumanMessage):
            plain.append(HumanMessage(content=message.content))
        elif isinstance(message, AIMessage) and not message.tool_calls and message.content:
            plain.append(AIMessage(content=message.content))
    return plain[-limit:]


def tool_results(turn: Sequence[AnyMessage]) -> list[ToolMessage]:
    """The tool results of a turn."""
    return [m for m in turn if isinstance(m, ToolMessage)]
