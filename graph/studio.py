"""The module-level graph served by ``langgraph dev`` (see ``langgraph.json``).

Its model, retriever, store and triage model open from settings on first use,
so importing it opens nothing; LangGraph's platform brings the checkpointer.
"""

from graph.builder import build_graph
from graph.defaults import default_backend, default_model, default_retriever, default_triager

graph = build_graph(
    model=default_model(),
    retriever=default_retriever(),
    backend=default_backend(),
    triager=default_triager(),
)
