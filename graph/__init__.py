"""The SupportGraph LangGraph graph.

``build_graph`` wires the graph from injected parts (tests, evals, the server);
``graph`` is the module-level graph for ``langgraph.json``, whose model,
retriever and backend open from settings on first use.
"""

from graph.builder import build_graph
from graph.defaults import default_backend, default_model, default_retriever

graph = build_graph(model=default_model(), retriever=default_retriever(), backend=default_backend())

__all__ = ["build_graph", "graph"]
