"""``retrieve``: help-centre passages for the customer's question."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.nodes._messages import latest_customer_text
from graph.resources import Lazy
from graph.state import State
from store.knowledge import Retriever


def make_retrieve(retriever: Lazy[Retriever]) -> Any:
    """Return the retrieve node bound to ``retriever``."""

    async def retrieve(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Search the help centre; keep passages over the score threshold."""
        context = runtime.context or Context()
        query = latest_customer_text(state["messages"])
        hits = await (await retriever.aget()).asearch(query, k=context.retrieval_k)
        return {"passages": [h for h in hits if h["score"] >= context.retrieval_min_score]}

    return retrieve
