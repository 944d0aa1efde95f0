"""Chat models, chosen by one setting and resolved here only.

``LLM`` is ``local`` (the bundled Qwen GGUF through llama.cpp), or any LangChain
``provider:model`` string such as ``openai:gpt-4o-mini``. ``LLM_BASE_URL`` points
an OpenAI-compatible server (vLLM, Ollama, llama.cpp's server) at the same code.
"""

from __future__ import annotations

from pathlib import Path

from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel


def load_chat_model(
    spec: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    models_dir: Path = Path(".data/models"),
    temperature: float = 0.2,
    max_tokens: int = 320,
) -> BaseChatModel:
    """Resolve the ``LLM`` setting into a chat model (weights load on first use)."""
    if spec == "local":
        from graph.llm.local import ChatLocalLlama
        from graph.llm.weights import ensure_model_file

        return ChatLocalLlama(
            model_path=str(ensure_model_file(models_dir)),
            temperature=temperature,
            max_tokens=max_tokens,
        )
    if base_url:
        model = spec.split(":", 1)[1] if spec.startswith("openai:") else spec
        return init_chat_model(
            model,
            model_provider="openai",
            base_url=base_url,
            api_key=api_key or "not-needed",
            temperature=temperature,
            max_tokens=max_tokens,
        )
    return init_chat_model(spec, temperature=temperature, max_tokens=max_tokens)


def needs_forced_tools(model: BaseChatModel) -> bool:
    """Whether the graph should pick and force tools for this model."""
    return bool(getattr(model, "needs_forced_tools", False))
