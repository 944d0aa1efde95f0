"""A scripted chat model for tests, evals and benchmarks.

``GenericFakeChatModel`` drops tool calls when streaming; this subclass streams
text token by token and tool calls as ``tool_call_chunks``, and records what was
bound, so tests can assert on forced tool choices.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolCall
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.runnables import Runnable
from pydantic import Field


class ScriptedChatModel(GenericFakeChatModel):
    """Replies from a script, streaming tokens and tool-call chunks."""

    needs_forced_tools: bool = False
    bound: list[dict[str, Any]] = Field(default_factory=list)
    """One entry per ``bind_tools`` call: tool names and tool_choice."""
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    """The prompts the model was called with."""

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Record the binding and return the model itself (the script decides)."""
        names = [getattr(t, "name", None) or t.get("function", {}).get("name") for t in tools]
        self.bound.append({"tools": names, "tool_choice": tool_choice})
        return self

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self.seen.append(list(messages))
        message = next(self.messages)
        if isinstance(message, str):
            message = AIMessage(content=message)
        for token in _tokens(str(message.content)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token, id=message.id))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk
        for index, call in enumerate(message.tool_calls):
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    id=message.id,
                    tool_call_chunks=[
                        {
                            "name": call["name"],
                            "args": json.dumps(call["args"]),
                            "id": call.get("id") or f"call_{index}",
                            "index": index,
                        }
                    ],
                )
            )

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        from langchain_core.language_models.chat_models import generate_from_stream

        return generate_from_stream(self._stream(messages, *args, **kwargs))


class FactEchoModel(ScriptedChatModel):
    """A stand-in for the weak local model, for tests and offline evals.

    When a tool is forced it calls it with arguments read off the customer's
    messages (the latest order number and email, the slot chosen, the return
    reason, contact channels, a ticket's subject); otherwise it replies with the
    facts it was given, as they are (so tests and evals see what the reply was
    based on, and a perfect phrasing of them scores as the baseline).
    """

    messages: Iterator[AIMessage | str] = itertools.repeat("")
    needs_forced_tools: bool = True

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> Any:
        """Record the binding; the forced tool reaches ``_stream`` as a keyword."""
        super().bind_tools(tools, tool_choice=tool_choice)
        return self.bind(forced_tool=tool_choice)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        forced = kwargs.pop("forced_tool", None)
        said = " ".join(m.text for m in messages if isinstance(m, HumanMessage))
        if forced:
            args: dict[str, Any] = {}
            if orders := re.findall(r"BS-\d{6}", said, re.IGNORECASE):
                args["order_id"] = orders[-1].upper()
            if emails := re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", said):
                args["email"] = emails[-1]
            if forced in {"book_appointment", "reschedule_appointment"}:
                args = {"slot": messages[-1].text}
            if forced == "start_return":
                args["reason"] = _return_reason(said)
            if forced == "recommend_products":
                args = {"need": messages[-1].text}
            if forced == "update_contact_preferences":
                args = {"channels": _channels(messages[-1].text)}
            if forced == "open_ticket":
                last = messages[-1].text
                args["subject"] = last.split(",")[-1].strip()[:60] or last[:60]
                args["description"] = last
            call = ToolCall(name=forced, args=args, id=f"call_{forced}_{uuid.uuid4().hex[:8]}")
            self.messages = iter([AIMessage(content="", tool_calls=[call])])
        else:
            system = str(messages[0].content) if messages else ""
            facts = system.split("<facts>", 1)[-1].split("</facts>", 1)[0].strip()
            text = " ".join(facts.split())[:800] if facts and facts != "(none)" else ""
            self.messages = iter([text or "How can I help?"])
        yield from super()._stream(messages, stop, run_manager, **kwargs)


def _return_reason(said: str) -> str:
    """The return reason a customer's words name (``changed_mind`` when none)."""
    said = said.lower()
    for reason, words in (
        ("wrong_item", ("wrong item", "wrong one", "not what i ordered")),
        ("damaged", ("damaged", "dented", "broken in transit", "cracked")),
        ("faulty", ("faulty", "doesn't work", "does not work", "stopped working", "defect")),
    ):
        if any(w in said for w in words):
            return reason
    return "changed_mind"


def _channels(text: str) -> list[str]:
    """The contact channels named in a message, in a fixed order."""
    text = text.lower()
    named = {
        "email": ("email" in text or "e-mail" in text),
        "sms": ("sms" in text or "text message" in text),
        "phone": bool(re.search(r"\b(phone|call)", text)),
    }
    return [c for c, on in named.items() if on]


def _tokens(text: str) -> list[str]:
    """Split text into word tokens that keep their leading space."""
    if not text:
        return []
    words = text.split(" ")
    return [words[0]] + [" " + w for w in words[1:]]
