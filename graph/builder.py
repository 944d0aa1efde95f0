"""``build_graph``: the support graph, wired from injected parts."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import ToolMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode

import prompts
from graph.context import Context
from graph.llm import needs_forced_tools
from graph.nodes.alert_safety import alert_safety
from graph.nodes.call_agent import make_call_agent
from graph.nodes.hand_off import make_hand_off
from graph.nodes.respond import make_respond
from graph.nodes.retrieve import make_retrieve
from graph.nodes.triage import make_triage
from graph.resources import Lazy
from graph.routing import route_after_agent, route_after_respond, route_after_triage
from graph.state import InputState, State
from store.backend import StoreBackend
from store.catalog import ProductIndex, Recommender
from store.embeddings import Embedder
from store.knowledge import Retriever
from tools import DOMAINS, build_tools
from triage import Triager


def build_graph(
    *,
    model: BaseChatModel | Lazy[BaseChatModel],
    retriever: Retriever | Lazy[Retriever],
    backend: StoreBackend | Lazy[StoreBackend],
    triager: Triager | Lazy[Triager],
    recommender: Recommender | Lazy[Recommender] | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    force_tools: bool | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build and compile the support graph.

    Args:
        model: The chat model, or a ``Lazy`` that opens it on first use.
        retriever: Help-centre search.
        backend: The store the specialist tools act on.
        triager: Intent, emergency, sentiment and language of each message.
        recommender: Product search by embedding; ``None`` indexes the backend's
            catalogue with the local MiniLM on first use.
        checkpointer: Where conversation state is saved; ``None`` for none
            (LangGraph Studio brings its own).
        force_tools: Force the first tool from the intent (for weak models);
            ``None`` asks the model (``needs_forced_tools``).
    """
    chat = Lazy.of(model)
    store = Lazy.of(backend)
    if recommender is None:
        recommender = Lazy(lambda: ProductIndex(store.get(), Embedder()))
    tools_by_domain = build_tools(store, Lazy.of(recommender))

    def forced(model_: BaseChatModel) -> bool:
        return needs_forced_tools(model_) if force_tools is None else force_tools

    builder = StateGraph(State, context_schema=Context, input_schema=InputState)
    builder.add_node("triage", make_triage(Lazy.of(triager)))
    builder.add_node("retrieve", make_retrieve(Lazy.of(retriever)))
    builder.add_node("alert_safety", alert_safety)
    builder.add_node("hand_off", make_hand_off(store))
    builder.add_node("respond", make_respond(chat))

    builder.add_edge(START, "triage")
    builder.add_conditional_edges("triage", route_after_triage)
    builder.add_edge("retrieve", "respond")
    builder.add_edge("alert_safety", "hand_off")
    builder.add_conditional_edges("respond", route_after_respond)

    for domain in DOMAINS:
        agent, tools_node = f"call_{domain}_agent", f"{domain}_tools"
        domain_tools = tools_by_domain[domain]
        builder.add_node(
            agent,
            make_call_agent(domain, chat, domain_tools, prompts.AGENT_PROMPTS[domain], forced),
        )
        builder.add_node(tools_node, ToolNode(domain_tools, handle_tool_errors=True))
        builder.add_conditional_edges(
            agent,
            route_after_agent,
            {"tools": tools_node, "retrieve": "retrieve", "respond": "respond"},
        )
        builder.add_conditional_edges(tools_node, _after_tools(agent, chat, forced))

    return builder.compile(checkpointer=checkpointer, name="supportgraph")


def _after_tools(agent: str, chat: Lazy[BaseChatModel], forced: Any) -> Any:
    """After a tool ran: a weak model goes on to the reply, a capable one back to its agent."""

    def route_after_tools(state: State) -> Literal["respond"] | str:
        last = state["messages"][-1]
        if isinstance(last, ToolMessage) and last.name == "escalate_to_human":
            return "respond"  # drafts the reply, then hand_off
        return "respond" if forced(chat.get()) else agent

    return route_after_tools
