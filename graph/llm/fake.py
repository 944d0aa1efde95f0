"""A scripted chat model for tests, evals and benchmarks.

``GenericFakeChatModel`` drops tool calls when streaming; this subclass streams
text token by token and tool calls as ``tool_call_chunks``, and records what was
bound, so tests can assert on forced tool choices.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
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


def _tokens(text: str) -> list[str]:
    """Split text into word tokens that keep their leading space."""
    if not text:
        return []
    words = text.split(" ")
    return [words[0]] + [" " + w for w in words[1:]]
