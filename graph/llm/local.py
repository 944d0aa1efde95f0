"""A LangChain chat model over llama.cpp, in-process, for the bundled GGUF model.

Small local models rarely call tools on their own, so tool calls are produced
only when forced (``tool_choice`` naming one tool): the model then writes the
tool's arguments as JSON constrained by the tool's schema, and the result is
returned as a regular tool call. Without a forced tool it answers in text.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, PrivateAttr


class ChatLocalLlama(BaseChatModel):
    """Chat model running a GGUF file through llama-cpp-python."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 320
    temperature: float = 0.2
    needs_forced_tools: bool = True
    """Tells the graph to pick and force tools for this model."""

    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-local"

    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory."""
        return self._llama is not None

    def load(self) -> None:
        """Load the weights (about a second); later calls return at once."""
        with self._lock:
            if self._llama is None:
                from llama_cpp import Llama

                self._llama = Llama(
                    model_path=self.model_path,
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    verbose=False,
                )

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | BaseTool | Any],
        *,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; only a ``tool_choice`` naming one tool makes a tool call."""
        schemas = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=schemas, tool_choice=tool_choice, **kwargs)

    # -- generation -----------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        chunks = list(self._stream(messages, stop=stop, run_manager=run_manager, **kwargs))
        message: AIMessageChunk = chunks[0].message  # type: ignore[assignment]
        for chunk in chunks[1:]:
            message = message + chunk.message  # type: ignore[assignment]
        final = AIMessage(
            content=message.content,
            tool_calls=message.tool_calls,
            id=message.id,
            response_metadata={"model_name": "qwen2.5-coder-1.5b-instruct-q4_k_m"},
        )
        return ChatResult(generations=[ChatGeneration(message=final)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self.load()
        tool = _forced_tool(kwargs.get("tools") or [], kwargs.get("tool_choice"))
        chat = _to_chat(messages)
        run_id = f"run-{uuid.uuid4()}"
        if tool is not None:
            yield self._tool_call(chat, tool, run_id)
            return
        with self._lock:
            stream = self._llama.create_chat_completion(
                messages=chat,
                stream=True,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                stop=stop,
            )
            for part in stream:
                text = part["choices"][0]["delta"].get("content")
                if not text:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text, id=run_id))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk

    def _tool_call(
        self, chat: list[dict[str, str]], tool: dict[str, Any], run_id: str
    ) -> ChatGenerationChunk:
        function = tool["function"]
        schema = function.get("parameters") or {"type": "object", "properties": {}}
        instruction = (
            f"Call the tool `{function['name']}`: {function.get('description', '')}\n"
            "Reply with only the JSON object of its arguments, taken from the conversation. "
            "Leave out optional arguments the customer did not give."
        )
        with self._lock:
            out = self._llama.create_chat_completion(
                messages=[*chat, {"role": "system", "content": instruction}],
                response_format={"type": "json_object", "schema": schema},
                max_tokens=200,
                temperature=0.0,
            )
        raw = out["choices"][0]["message"].get("content") or "{}"
        try:
            args = json.loads(raw)
        except json.JSONDecodeError:
            args = {}
        if not isinstance(args, dict):
            args = {}
        args = {k: v for k, v in args.items() if v not in (None, "")}
        call_id = f"call_{uuid.uuid4().hex[:12]}"
        return ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                id=run_id,
                tool_call_chunks=[
                    {"name": function["name"], "args": json.dumps(args), "id": call_id, "index": 0}
                ],
            )
        )


def _forced_tool(tools: list[dict[str, Any]], choice: Any) -> dict[str, Any] | None:
    """The tool named by ``tool_choice``, if it names exactly one."""
    name = None
    if isinstance(choice, str) and choice not in {"auto", "none", "any", "required"}:
        name = choice
    elif isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name") or choice.get("name")
    elif choice in {"any", "required"} and len(tools) == 1:
        name = tools[0]["function"]["name"]
    return next((t for t in tools if t["function"]["name"] == name), None)


def _to_chat(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """Turn LangChain messages into plain chat turns the GGUF template understands.

    Tool calls and results become text, which small models follow more reliably
    than a tool-calling template. Consecutive system messages are merged first.
    """
    chat: list[dict[str, str]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            role, text = "system", str(message.content)
        elif isinstance(message, ToolMessage):
            role, text = "user", f"Result of tool {message.name}: {message.content}"
        elif isinstance(message, AIMessage):
            calls = "; ".join(f"{c['name']}({json.dumps(c['args'])})" for c in message.tool_calls)
            role, text = "assistant", str(message.content) or f"Calling {calls}"
        else:
            role, text = "user", str(message.content)
        if chat and role == "system" and chat[-1]["role"] == "system":
            chat[-1]["content"] += "\n\n" + text
        else:
            chat.append({"role": role, "content": text})
    return chat
