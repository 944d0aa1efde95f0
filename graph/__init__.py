"""The SupportGraph LangGraph graph.

``build_graph`` wires the graph from injected parts (tests, evals, the server);
``graph`` is the module-level graph for ``langgraph.json``. Both are loaded on
first access, so importing a submodule (``graph.state``, ``graph.resources``)
never builds a graph or pulls in the tools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph.builder import build_graph as build_graph

__all__ = ["build_graph", "graph"]


def __getattr__(name: str) -> Any:
    if name == "build_graph":
        from graph.builder import build_graph

        return build_graph
    if name == "graph":
        from graph.studio import graph

        return graph
    raise AttributeError(f"module 'graph' has no attribute {name!r}")
