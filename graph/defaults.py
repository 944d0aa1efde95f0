"""Resources opened from settings on first use, for the module-level ``graph``.

``langgraph dev`` imports ``graph.graph``; nothing here runs until a node needs
its model, retriever or backend, so importing the graph opens no client.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from graph.resources import Lazy
from store.backend import SqlStoreBackend, StoreBackend
from store.knowledge import KnowledgeBase, Retriever
from triage import Triager


def _model() -> BaseChatModel:
    from graph.llm import load_chat_model
    from server.settings import get_settings

    s = get_settings()
    return load_chat_model(
        s.llm,
        base_url=s.llm_base_url,
        api_key=s.openai_api_key.get_secret_value() if s.openai_api_key else None,
        models_dir=s.data_dir / "models",
        temperature=s.llm_temperature,
        max_tokens=s.llm_max_tokens,
    )


def _retriever() -> Retriever:
    from server.settings import get_settings

    s = get_settings()
    return KnowledgeBase.open(path=s.qdrant_path, url=s.qdrant_url)


def _backend() -> StoreBackend:
    from server.settings import get_settings

    return SqlStoreBackend.from_url(get_settings().resolved_database_url)


def _triager() -> Triager:
    from server.settings import get_settings
    from triage import load_or_train

    return load_or_train(get_settings().triage_model_dir)


def default_triager() -> Lazy[Triager]:
    """The trained triage model (trained from the bundled data if missing), on first use."""
    return Lazy(_triager)


def default_model() -> Lazy[BaseChatModel]:
    """The configured chat model, loaded on first use."""
    return Lazy(_model)


def default_retriever() -> Lazy[Retriever]:
    """The configured help-centre retriever, opened on first use."""
    return Lazy(_retriever)


def default_backend() -> Lazy[StoreBackend]:
    """The configured store backend, opened on first use."""
    return Lazy(_backend)
