"""Test doubles: a fixed retriever and a model that reports what it saw."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolCall
from langchain_core.outputs import ChatGenerationChunk

from graph.llm.fake import ScriptedChatModel
from graph.state import Passage, Triage

RETURNS_PASSAGE = Passage(
    article_id="returns-how-to-return",
    title="How to return an item",
    text="You can return most items within 30 days of delivery.",
    score=0.82,
)


class StaticRetriever:
    """Returns the same passages for every query, and records the queries."""

    def __init__(self, passages: list[Passage] | None = None) -> None:
        self.passages = passages if passages is not None else [RETURNS_PASSAGE]
        self.queries: list[str] = []

    async def asearch(
        self, query: str, k: int = 4, *, language: str | None = None, category: str | None = None
    ) -> list[Passage]:
        self.queries.append(query)
        return self.passages[:k]


def scripted(*replies: str | AIMessage, forced: bool = False) -> ScriptedChatModel:
    """A scripted model replying with ``replies`` in order."""
    return ScriptedChatModel(messages=iter(replies), needs_forced_tools=forced)


def tool_call(name: str, **args: Any) -> AIMessage:
    """An assistant message that calls one tool."""
    call_id = f"call_{name}_{uuid.uuid4().hex[:8]}"
    return AIMessage(content="", tool_calls=[ToolCall(name=name, args=args, id=call_id)])


class HistoryCountingModel(ScriptedChatModel):
    """Replies with how many customer messages it was shown (proves memory across turns)."""

    messages: Iterator[AIMessage | str] = itertools.repeat("")

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        seen = [m for m in messages if isinstance(m, HumanMessage)]
        last = seen[-1].content if seen else ""
        reply = f"I have seen {len(seen)} customer messages; the latest was: {last}"
        self.messages = iter([reply])
        yield from super()._stream(messages, stop, run_manager, **kwargs)


class FakeTriage:
    """Triage from a table of phrases, so graph tests choose the route they test."""

    INTENTS = {
        "cancel": "cancel_order",
        "order": "order_status",
        "bs-1": "order_status",
        "human": "talk_to_human",
        "person": "talk_to_human",
        "return": "policy_question",
        "warranty": "policy_question",
        "install": "book_appointment",
        "repair": "book_appointment",
        "recommend": "recommendation",
        "ticket": "ticket_status",
        "hello": "greeting",
        "hi ": "greeting",
        "thanks": "thanks",
    }
    EMERGENCIES = {"gas": "gas", "sparks": "fire", "fire": "fire"}

    def __init__(self, sentiment: float = 0.0, language: str = "en") -> None:
        self.sentiment = sentiment
        self.language = language
        self.seen: list[tuple[str, str | None]] = []

    def triage(self, text: str, previous_language: str | None = None) -> Triage:
        self.seen.append((text, previous_language))
        lowered = text.lower() + " "
        intent = next((v for k, v in self.INTENTS.items() if k in lowered), "oos")
        emergency = next((v for k, v in self.EMERGENCIES.items() if k in lowered), None)
        return Triage(
            intent=intent,
            confidence=0.9,
            emergency=emergency,
            sentiment=self.sentiment,
            language=self.language,
        )


FILLER = (
    "Our team checks every order before it leaves the warehouse, and large appliances "
    "travel with two trained drivers who bring them inside, unpack them and take the "
    "packaging away, so you only need to clear a path to the room where it will stand."
)


class SlowModel(HistoryCountingModel):
    """Like ``HistoryCountingModel``, then about 40 more words, at ``delay`` seconds a word."""

    delay: float = 0.15

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        import time

        seen = [m for m in messages if isinstance(m, HumanMessage)]
        last = seen[-1].content if seen else ""
        reply = f"I have seen {len(seen)} customer messages; the latest was: {last} {FILLER}"
        self.messages = iter([reply])
        for chunk in ScriptedChatModel._stream(self, messages, stop, run_manager, **kwargs):
            time.sleep(self.delay)
            yield chunk
